//! An OTLP receiver for the telemetry tests: a small in-process collector
//! that accepts what an OpenTelemetry SDK exports — OTLP/HTTP with
//! protobuf bodies (`POST /v1/traces`, `POST /v1/metrics`) on one loopback
//! port, OTLP/gRPC (`opentelemetry.proto.collector.trace.v1.TraceService`
//! and `…metrics.v1.MetricsService`, served by tonic from the services
//! opentelemetry-proto generates) on another — and keeps every span and
//! metric data point, flattened into plain structs ([`Span`],
//! [`MetricPoint`]) a test asserts on: ids in lowercase hex, attributes as
//! JSON values, the resource's `service.name`, and which transport
//! brought it.
//!
//! It decodes with the same generated types the exporters encode with
//! (opentelemetry-proto), so a test checks what a real collector would
//! receive without running one. OTLP/JSON and compressed bodies are
//! answered 415 (the host exports protobuf, uncompressed). Stopped when
//! dropped.
//!
//! A test starts a [`Receiver`], points the host's exporters at
//! [`Receiver::http_endpoint`] or [`Receiver::grpc_endpoint`], and waits
//! with [`Receiver::wait_for_spans`] or [`Receiver::wait_for_metrics`]:
//! the SDK batches, so spans come within its schedule (5 s by default)
//! and metrics on the periodic reader's interval (60 s by default)
//! unless the host flushes or is configured shorter.

mod serve;
mod store;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::post;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::MetricsServiceServer;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::TraceServiceServer;
use serde_json::Value;
use tokio::task::JoinHandle;

use serve::{Grpc, http_metrics, http_traces};
use store::{Store, lock};

/// The kind of a span (OTLP's `Span.SpanKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpanKind {
    /// 0: not given (or a value this receiver does not know).
    Unspecified,
    /// 1: an operation inside the process.
    Internal,
    /// 2: the server side of a request (an incoming HTTP request).
    Server,
    /// 3: the client side of a request (an outgoing HTTP request).
    Client,
    /// 4: the producer of an asynchronous message.
    Producer,
    /// 5: the consumer of an asynchronous message.
    Consumer,
}

impl From<i32> for SpanKind {
    fn from(kind: i32) -> Self {
        match kind {
            1 => Self::Internal,
            2 => Self::Server,
            3 => Self::Client,
            4 => Self::Producer,
            5 => Self::Consumer,
            _ => Self::Unspecified,
        }
    }
}

/// A received span, flattened from its resource and scope.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// The trace id: 32 lowercase hex digits.
    pub trace_id: String,
    /// The span id: 16 lowercase hex digits.
    pub span_id: String,
    /// The parent's span id in hex; empty for a root span.
    pub parent_span_id: String,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: SpanKind,
    /// Its attributes; strings, integers, doubles and booleans as the
    /// JSON values they are, arrays as arrays, key-value lists as
    /// objects, bytes as base64 strings.
    pub attributes: BTreeMap<String, Value>,
    /// Its status code: 0 unset, 1 ok, 2 error.
    pub status_code: i32,
    /// Its status message (with status code 2).
    pub status_message: String,
    /// The names of its events, in order.
    pub events: Vec<String>,
    /// Start, in nanoseconds since the Unix epoch.
    pub start_time_unix_nano: u64,
    /// End, in nanoseconds since the Unix epoch.
    pub end_time_unix_nano: u64,
    /// The instrumentation scope's name (the tracer's).
    pub scope: String,
    /// The resource's `service.name`, when it has one.
    pub service_name: Option<String>,
    /// The resource's attributes (converted like `attributes`).
    pub resource: BTreeMap<String, Value>,
    /// How it came: `"http"` or `"grpc"`.
    pub via: &'static str,
}

/// The kind of a metric (which OTLP data it carried).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricKind {
    /// A gauge: the last value.
    Gauge,
    /// A sum (counters and up-down counters).
    Sum,
    /// An explicit-bucket histogram.
    Histogram,
    /// An exponential histogram.
    ExponentialHistogram,
    /// A summary.
    Summary,
}

/// One received metric data point, flattened from its metric, scope and
/// resource.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPoint {
    /// The metric's name.
    pub name: String,
    /// The metric's unit (may be empty).
    pub unit: String,
    /// The metric's description (may be empty).
    pub description: String,
    /// Which kind of data it is.
    pub kind: MetricKind,
    /// For sums, whether it is monotonic (a counter).
    pub monotonic: bool,
    /// For sums and histograms, whether the temporality is delta (the
    /// change since the last export) rather than cumulative.
    pub delta: bool,
    /// The point's attributes (converted as [`Span::attributes`]).
    pub attributes: BTreeMap<String, Value>,
    /// A sum's or gauge's value; a histogram's or summary's sum (0 when
    /// the histogram has none).
    pub value: f64,
    /// A histogram's or summary's count; `None` for sums and gauges.
    pub count: Option<u64>,
    /// The point's time, in nanoseconds since the Unix epoch.
    pub time_unix_nano: u64,
    /// The instrumentation scope's name (the meter's).
    pub scope: String,
    /// The resource's `service.name`, when it has one.
    pub service_name: Option<String>,
    /// How it came: `"http"` or `"grpc"`.
    pub via: &'static str,
}

/// A running OTLP receiver (HTTP and gRPC), keeping what it receives.
#[derive(Debug)]
pub struct Receiver {
    http: SocketAddr,
    grpc: SocketAddr,
    store: Arc<Store>,
    tasks: Vec<JoinHandle<()>>,
}

impl Receiver {
    /// Start receiving: OTLP/HTTP on one free loopback port, OTLP/gRPC on
    /// another, both served by tasks on the current Tokio runtime until
    /// the receiver is dropped.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound, or outside a Tokio runtime.
    pub async fn start() -> Self {
        let store = Arc::new(Store::default());

        let http_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port for OTLP/HTTP");
        let http = http_listener.local_addr().expect("its address");
        let app = axum::Router::new()
            .route("/v1/traces", post(http_traces))
            .route("/v1/metrics", post(http_metrics))
            .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
            .with_state(store.clone());
        let http_task = tokio::spawn(async move {
            if let Err(e) = axum::serve(http_listener, app).await {
                eprintln!("the OTLP/HTTP receiver stopped: {e}");
            }
        });

        let grpc_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port for OTLP/gRPC");
        let grpc = grpc_listener.local_addr().expect("its address");
        let service = Grpc(store.clone());
        let grpc_task = tokio::spawn(async move {
            let served = tonic::transport::Server::builder()
                .add_service(
                    TraceServiceServer::new(service.clone())
                        .max_decoding_message_size(64 * 1024 * 1024),
                )
                .add_service(
                    MetricsServiceServer::new(service).max_decoding_message_size(64 * 1024 * 1024),
                )
                .serve_with_incoming_shutdown(
                    tonic::transport::server::TcpIncoming::from(grpc_listener),
                    // Never: with a shutdown signal, tonic closes its open
                    // connections when the server is dropped (aborted).
                    std::future::pending::<()>(),
                )
                .await;
            if let Err(e) = served {
                eprintln!("the OTLP/gRPC receiver stopped: {e}");
            }
        });

        Self {
            http,
            grpc,
            store,
            tasks: vec![http_task, grpc_task],
        }
    }

    /// The OTLP/HTTP base URL, `http://127.0.0.1:PORT`: an exporter
    /// configured with the base (`OTEL_EXPORTER_OTLP_ENDPOINT`) appends
    /// `/v1/traces` and `/v1/metrics`; one configured per signal
    /// (`with_endpoint`) takes the full URL, `{base}/v1/traces`.
    pub fn http_endpoint(&self) -> String {
        format!("http://{}", self.http)
    }

    /// The OTLP/gRPC endpoint, `http://127.0.0.1:PORT` (plaintext HTTP/2).
    pub fn grpc_endpoint(&self) -> String {
        format!("http://{}", self.grpc)
    }

    /// Every span received so far, in order of arrival.
    pub fn spans(&self) -> Vec<Span> {
        lock(&self.store.spans).clone()
    }

    /// Every metric data point received so far, in order of arrival (a
    /// periodic exporter sends each cumulative counter again on every
    /// export: the last point of a name and attributes is the latest).
    pub fn metrics(&self) -> Vec<MetricPoint> {
        lock(&self.store.metrics).clone()
    }

    /// Forget what has been received.
    pub fn clear(&self) {
        lock(&self.store.spans).clear();
        lock(&self.store.metrics).clear();
    }

    /// Wait until `pred` holds for the spans received so far, and return
    /// them.
    ///
    /// # Panics
    ///
    /// When it does not hold within `timeout`; the message lists the
    /// spans received.
    pub async fn wait_for_spans(
        &self,
        pred: impl Fn(&[Span]) -> bool,
        timeout: Duration,
    ) -> Vec<Span> {
        match self.wait(|| self.spans(), |s| pred(s), timeout).await {
            Ok(spans) => spans,
            Err(spans) => {
                let mut listing = String::new();
                for s in &spans {
                    let _ = writeln!(
                        listing,
                        "  {} {:?} trace {} span {} parent {:?} via {} {:?}",
                        s.name,
                        s.kind,
                        s.trace_id,
                        s.span_id,
                        s.parent_span_id,
                        s.via,
                        s.attributes
                    );
                }
                panic!(
                    "the OTLP receiver did not get the expected spans within {timeout:?}; \
                     it has {}:\n{listing}",
                    spans.len()
                );
            }
        }
    }

    /// Wait until `pred` holds for the metric points received so far, and
    /// return them.
    ///
    /// # Panics
    ///
    /// When it does not hold within `timeout`; the message lists the
    /// points received.
    pub async fn wait_for_metrics(
        &self,
        pred: impl Fn(&[MetricPoint]) -> bool,
        timeout: Duration,
    ) -> Vec<MetricPoint> {
        match self.wait(|| self.metrics(), |m| pred(m), timeout).await {
            Ok(points) => points,
            Err(points) => {
                let mut listing = String::new();
                for p in &points {
                    let _ = writeln!(
                        listing,
                        "  {} {:?} {:?} = {} (count {:?}) via {}",
                        p.name, p.kind, p.attributes, p.value, p.count, p.via
                    );
                }
                panic!(
                    "the OTLP receiver did not get the expected metrics within {timeout:?}; \
                     it has {} points:\n{listing}",
                    points.len()
                );
            }
        }
    }

    /// Take `get()` until `pred` holds (checking whenever something
    /// arrives, and every 100 ms), or until `timeout`: `Err` with the
    /// last one then.
    async fn wait<T>(
        &self,
        get: impl Fn() -> Vec<T>,
        pred: impl Fn(&[T]) -> bool,
        timeout: Duration,
    ) -> Result<Vec<T>, Vec<T>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Registered before looking, so an arrival in between wakes it.
            let changed = self.store.changed.notified();
            let got = get();
            if pred(&got) {
                return Ok(got);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(got);
            }
            let next = deadline.min(tokio::time::Instant::now() + Duration::from_millis(100));
            let _ = tokio::time::timeout_at(next, changed).await;
        }
    }
}

impl Drop for Receiver {
    /// Aborts the servers: the ports close, and so do the connections
    /// open to them (an exporter's next export fails).
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
