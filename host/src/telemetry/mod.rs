//! Telemetry a SOC plugs in: OpenTelemetry traces and metrics.
//!
//! * **Traces** ([`tracing_layer`], [`spans`]): every mediated call is a
//!   span tree — the MCP or HTTP server span (OpenTelemetry's MCP and HTTP
//!   semantic conventions), then `warrant.call` with the authorization, the
//!   approval wait, the admission, the sandbox run and the two audit
//!   appends — with warrant's own attributes under `warrant.`. They are
//!   `tracing` spans bridged by `tracing-opentelemetry` to the
//!   OpenTelemetry SDK and exported over OTLP (`opentelemetry-otlp`, HTTP
//!   or gRPC). With telemetry off no span is even created: each site asks
//!   [`tracing_on`] (one relaxed atomic load) first.
//! * **Metrics** ([`Meters`]): instruments of the OpenTelemetry SDK, read
//!   by its Prometheus exporter for `/metrics` and, when telemetry is on,
//!   by a periodic OTLP exporter; one set per [`Host`](crate::Host), so
//!   every call it makes counts, whatever its channel.
//!
//! Configured by `[telemetry]` and the standard `OTEL_*` variables
//! ([`crate::config::Telemetry`]); off by default.

mod export;
mod meters;
pub mod spans;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

pub use export::TelemetryError;
pub use meters::{CallLabels, Meters};

/// The target of warrant's exported spans: the OpenTelemetry layer reads
/// only these, and the log output never prints them.
pub const SPAN_TARGET: &str = "warrant_otel";

/// Whether spans are exported in this process.
static TRACING: AtomicBool = AtomicBool::new(false);

/// The process's tracer provider, flushed by [`shutdown`].
static PROVIDER: OnceLock<opentelemetry_sdk::trace::SdkTracerProvider> = OnceLock::new();

/// Whether this process exports spans (a [`tracing_layer`] was made and
/// installed). Every span site asks this first, so spans cost nothing
/// when telemetry is off.
#[inline]
pub fn tracing_on() -> bool {
    TRACING.load(Ordering::Relaxed)
}

/// The `tracing` layer that exports warrant's spans over OTLP, when
/// `telemetry` is enabled (`None` otherwise). Install it in the process's
/// subscriber (the CLI does); it sees only warrant's spans
/// ([`SPAN_TARGET`]). One per process: a second call returns `None`.
///
/// # Errors
///
/// When the exporter cannot be built from the settings.
pub fn tracing_layer<S>(
    telemetry: &crate::config::Telemetry,
) -> Result<Option<impl tracing_subscriber::Layer<S> + 'static>, TelemetryError>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a> + Send + Sync,
{
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::Layer as _;
    if !telemetry.enabled || PROVIDER.get().is_some() {
        return Ok(None);
    }
    let provider = export::tracer_provider(telemetry)?;
    let tracer = provider.tracer("warrant");
    if PROVIDER.set(provider).is_err() {
        return Ok(None);
    }
    TRACING.store(true, Ordering::Relaxed);
    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_location(false)
        .with_threads(false)
        .with_tracked_inactivity(false)
        .with_target(false)
        // A target filter (not a closure): callsites of other targets are
        // never interesting to it, so they keep the log filter's level.
        .with_filter(
            tracing_subscriber::filter::Targets::new()
                .with_target(SPAN_TARGET, tracing::Level::INFO),
        );
    Ok(Some(layer))
}

/// Export what is still buffered and stop the exporters (call once, at
/// the end of the process; a short-lived `warrant call` would otherwise
/// lose its spans). Blocking: call it off the async runtime's threads.
pub fn shutdown() {
    if let Some(p) = PROVIDER.get()
        && let Err(e) = p.shutdown()
    {
        tracing::warn!("telemetry: the last spans could not be exported: {e}");
    }
}
