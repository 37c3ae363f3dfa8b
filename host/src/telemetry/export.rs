//! The OTLP exporters: spans through a batch processor, metrics through a
//! periodic reader, over protobuf-on-HTTP (the SDK's blocking `reqwest`
//! client on its own export thread) or gRPC (`tonic`, bound to the Tokio
//! runtime it is built on).

use opentelemetry_otlp::{MetricExporter, Protocol, SpanExporter, WithExportConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::PeriodicReader;
use opentelemetry_sdk::trace::SdkTracerProvider;

use crate::config::{OtlpProtocol, Telemetry};

/// Why telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("telemetry: the OTLP {what} exporter cannot be built: {why}")]
pub struct TelemetryError {
    what: &'static str,
    why: String,
}

impl TelemetryError {
    pub(crate) fn new(what: &'static str, why: String) -> Self {
        Self { what, why }
    }
}

/// The resource every span and metric names: `service.name` (from the
/// settings, which already read `OTEL_SERVICE_NAME`), the version, and
/// `OTEL_RESOURCE_ATTRIBUTES`.
pub(crate) fn resource(t: &Telemetry) -> Resource {
    Resource::builder()
        .with_service_name(t.service_name.clone())
        .with_attribute(opentelemetry::KeyValue::new(
            "service.version",
            env!("CARGO_PKG_VERSION"),
        ))
        .build()
}

/// `base` + `path` for HTTP, where the SDK takes a configured endpoint
/// as the whole URL.
fn endpoint(t: &Telemetry, path: &str) -> Option<String> {
    let base = t.endpoint.as_deref()?;
    Some(match t.protocol {
        OtlpProtocol::HttpProtobuf => format!("{base}{path}"),
        OtlpProtocol::Grpc => base.to_owned(),
    })
}

/// The tracer provider exporting to the configured collector.
pub(crate) fn tracer_provider(t: &Telemetry) -> Result<SdkTracerProvider, TelemetryError> {
    let built = match t.protocol {
        OtlpProtocol::HttpProtobuf => {
            let b = SpanExporter::builder()
                .with_http()
                .with_protocol(Protocol::HttpBinary);
            match endpoint(t, "/v1/traces") {
                Some(e) => b.with_endpoint(e).build(),
                None => b.build(),
            }
        }
        OtlpProtocol::Grpc => {
            let b = SpanExporter::builder().with_tonic();
            match endpoint(t, "") {
                Some(e) => b.with_endpoint(e).build(),
                None => b.build(),
            }
        }
    };
    let exporter = built.map_err(|e| TelemetryError {
        what: "span",
        why: e.to_string(),
    })?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource(t))
        .build())
}

/// The reader exporting metrics every `metrics_interval`.
pub(crate) fn metric_reader(
    t: &Telemetry,
) -> Result<PeriodicReader<MetricExporter>, TelemetryError> {
    let built = match t.protocol {
        OtlpProtocol::HttpProtobuf => {
            let b = MetricExporter::builder()
                .with_http()
                .with_protocol(Protocol::HttpBinary);
            match endpoint(t, "/v1/metrics") {
                Some(e) => b.with_endpoint(e).build(),
                None => b.build(),
            }
        }
        OtlpProtocol::Grpc => {
            let b = MetricExporter::builder().with_tonic();
            match endpoint(t, "") {
                Some(e) => b.with_endpoint(e).build(),
                None => b.build(),
            }
        }
    };
    let exporter = built.map_err(|e| TelemetryError {
        what: "metric",
        why: e.to_string(),
    })?;
    Ok(PeriodicReader::builder(exporter)
        .with_interval(t.metrics_interval)
        .build())
}
