//! The process's `tracing` subscriber: logs to stderr (never stdout, which
//! carries results and, for `serve --stdio`, the MCP protocol), and — when
//! `[telemetry]` or the `OTEL_*` environment turns it on — warrant's spans
//! exported over OTLP.

use std::path::Path;

use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

use crate::cli::Command;
use crate::config::{Telemetry, TelemetrySection};

/// The config file a command serves or calls with, whose `[telemetry]`
/// the process's spans follow.
fn config_of(c: &Command) -> Option<&Path> {
    match c {
        Command::Serve(a) => Some(&a.config.config),
        Command::Call(a) => Some(&a.config.config),
        _ => None,
    }
}

/// `[telemetry]` of the command's config file (only that table is read
/// here; the whole file is checked when the command loads it), resolved
/// against the `OTEL_*` environment; the environment alone for commands
/// without one.
pub(crate) fn telemetry_of(c: &Command) -> Telemetry {
    #[derive(serde::Deserialize, Default)]
    struct Only {
        #[serde(default)]
        telemetry: TelemetrySection,
    }
    let section = config_of(c)
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|text| toml::from_str::<Only>(&text).ok())
        .unwrap_or_default()
        .telemetry;
    crate::config::telemetry_settings(&section, |k| std::env::var(k).ok()).unwrap_or_default()
}

/// Install the subscriber: the log filter from `verbose` (or `RUST_LOG`),
/// plus the span exporter when `telemetry` is enabled. Call inside the
/// Tokio runtime (the gRPC exporter binds to it).
pub fn init_tracing(verbose: u8, telemetry: &Telemetry) {
    let default = match verbose {
        0 => "warn",
        1 => "info,warrant=info",
        _ => "debug,wasmtime=info,cranelift_codegen=info",
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(default))
        // The exported spans are not log lines.
        .add_directive(
            format!("{}=off", crate::telemetry::SPAN_TARGET)
                .parse()
                .unwrap_or_default(),
        );
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_filter(filter);
    let spans = match crate::telemetry::tracing_layer(telemetry) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("warning: {e}; no spans are exported");
            None
        }
    };
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(spans)
        .try_init();
}
