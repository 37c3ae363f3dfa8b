//! One host's metrics: OpenTelemetry SDK instruments, read by the SDK's
//! Prometheus exporter for `/metrics` and, when telemetry is on, exported
//! over OTLP every `metrics-interval`. The names are stable and listed in
//! the book (`observability.md`); Prometheus sees each with `_` for `.`,
//! the unit as a suffix (`_seconds`) and `_total` on counters.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{
    Counter, Gauge, Histogram, Meter, MeterProvider as _, ObservableCounter,
};
use opentelemetry_sdk::metrics::SdkMeterProvider;

use crate::audit::Tally;
use crate::config::Telemetry;
use crate::telemetry::TelemetryError;

/// Bucket bounds of the duration histograms, in seconds (1 ms … 30 s).
const SECONDS: [f64; 13] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Bucket bounds of the audit append and fsync histograms, in seconds
/// (10 µs … 1 s).
const FAST_SECONDS: [f64; 11] = [
    0.000_01, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.1, 1.0,
];

/// What one finished call is counted under.
#[derive(Debug, Clone, Copy)]
pub struct CallLabels<'a> {
    /// The plugin's id, or `unknown` (made-up names never become labels).
    pub plugin: &'a str,
    /// `plugin.tool`, or `unknown`.
    pub tool: &'a str,
    /// `allow` (it ran), `held` (waiting for a human) or `deny`.
    pub decision: &'a str,
    /// The layer that decided (`policy`, `approval`, `scope`, `rate`, …).
    pub layer: &'a str,
    /// `ok`, or the kind of error (`refused`, `tool-error`, …).
    pub outcome: &'a str,
    /// `mcp`, `http`, `cli`, `lib`, `demo`.
    pub channel: &'a str,
}

/// One host's instruments.
pub struct Meters {
    provider: SdkMeterProvider,
    registry: prometheus::Registry,
    /// Serialises encoding (the registry gathers under its own lock; this
    /// keeps two scrapes from interleaving their gauge updates).
    encoding: Mutex<()>,
    calls: Counter<u64>,
    call_duration: Histogram<f64>,
    mcp_duration: Histogram<f64>,
    approval_wait: Histogram<f64>,
    audit_append: Histogram<f64>,
    audit_fsync: Arc<Histogram<f64>>,
    exchanges: Counter<u64>,
    shadow: Counter<u64>,
    state: Histogram<f64>,
    in_flight: Gauge<u64>,
    pending: Gauge<u64>,
    degraded: Gauge<u64>,
    /// The chain this host serves, counted (set by the server): read by
    /// `warrant.audit.calls` and `warrant.audit.stops` at each collection.
    chain: Arc<OnceLock<Arc<Tally>>>,
    _chain_instruments: (ObservableCounter<u64>, ObservableCounter<u64>),
}

impl std::fmt::Debug for Meters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meters").finish_non_exhaustive()
    }
}

fn seconds(m: &Meter, name: &'static str, help: &'static str, bounds: &[f64]) -> Histogram<f64> {
    m.f64_histogram(name)
        .with_unit("s")
        .with_description(help)
        .with_boundaries(bounds.to_vec())
        .build()
}

impl Meters {
    /// The instruments of one host: read for `/metrics` always, exported
    /// over OTLP when `telemetry` is enabled.
    ///
    /// # Errors
    ///
    /// When the Prometheus or OTLP exporter cannot be set up.
    pub fn new(telemetry: &Telemetry) -> Result<Self, TelemetryError> {
        let registry = prometheus::Registry::new();
        let prometheus = opentelemetry_prometheus::exporter()
            .with_registry(registry.clone())
            .without_target_info()
            .scope_info_enabled(false)
            .build()
            .map_err(|e| TelemetryError::new("Prometheus", e.to_string()))?;
        let mut builder = SdkMeterProvider::builder()
            .with_reader(prometheus)
            .with_resource(super::export::resource(telemetry));
        if telemetry.enabled {
            builder = builder.with_reader(super::export::metric_reader(telemetry)?);
        }
        let provider = builder.build();
        let m = provider.meter("warrant");
        let chain: Arc<OnceLock<Arc<Tally>>> = Arc::default();
        let _chain_instruments = chain_counters(&m, &chain);
        Ok(Self {
            chain,
            _chain_instruments,
            calls: m
                .u64_counter("warrant.calls")
                .with_description("Tool calls this host mediated, by plugin, tool, decision, deciding layer, outcome and channel (CLI, MCP, HTTP, library).")
                .build(),
            call_duration: seconds(&m, "warrant.call.duration", "How long calls took, from the request to the audited answer, by plugin and decision.", &SECONDS),
            mcp_duration: seconds(&m, "mcp.server.operation.duration", "MCP requests served (OpenTelemetry MCP semantic conventions).", &SECONDS),
            approval_wait: seconds(&m, "warrant.approval.wait", "How long held calls waited for a human, by how the wait ended.", &SECONDS),
            audit_append: seconds(&m, "warrant.audit.append.duration", "Appending a call's one record (its decision and outcome) to the audit chain, durable, before the answer.", &FAST_SECONDS),
            audit_fsync: Arc::new(seconds(&m, "warrant.audit.fsync.duration", "One fsync of the audit chain (one may cover many records).", &FAST_SECONDS)),
            exchanges: m
                .u64_counter("warrant.token.exchanges")
                .with_description("Token exchanges (RFC 8693) answered, by result and, for refusals, the OAuth error.")
                .build(),
            shadow: m
                .u64_counter("warrant.policy.shadow_differences")
                .with_description("Calls the shadow policies would have decided otherwise.")
                .build(),
            state: seconds(&m, "warrant.state.duration", "Reads and transactions of the shared state on a call's path (stop state, admission), by operation.", &FAST_SECONDS),
            in_flight: m
                .u64_gauge("warrant.calls.in_flight")
                .with_description("Calls running or waiting for approval now.")
                .build(),
            pending: m
                .u64_gauge("warrant.approvals.pending")
                .with_description("Approval requests waiting for a human (as of the last scrape or approval event).")
                .build(),
            degraded: m
                .u64_gauge("warrant.state.degraded")
                .with_description("1 while the shared state is unreachable and this host runs degraded (read-only calls only), else 0.")
                .build(),
            provider,
            registry,
            encoding: Mutex::new(()),
        })
    }

    /// Count the calls and stop buttons recorded in the chain `tally`
    /// reads, by any process (a `warrant call` beside the server too), as
    /// `warrant.audit.calls` and `warrant.audit.stops`. Once per host.
    pub fn observe_chain(&self, tally: Arc<Tally>) {
        let _ = self.chain.set(tally);
    }

    /// Count one finished call.
    pub fn call(&self, l: &CallLabels<'_>, took: Duration) {
        let attrs = [
            KeyValue::new("plugin", l.plugin.to_owned()),
            KeyValue::new("tool", l.tool.to_owned()),
            KeyValue::new("decision", l.decision.to_owned()),
            KeyValue::new("layer", l.layer.to_owned()),
            KeyValue::new("outcome", l.outcome.to_owned()),
            KeyValue::new("channel", l.channel.to_owned()),
        ];
        self.calls.add(1, &attrs);
        self.call_duration
            .record(took.as_secs_f64(), &[attrs[0].clone(), attrs[2].clone()]);
    }

    /// One MCP request served: `mcp.server.operation.duration` with the
    /// semantic conventions' attributes.
    pub fn mcp_operation(
        &self,
        method: &'static str,
        tool: Option<&str>,
        error_type: Option<&str>,
        protocol_version: Option<&str>,
        took: Duration,
    ) {
        let mut attrs = vec![
            KeyValue::new("mcp.method.name", method),
            KeyValue::new("network.transport", "tcp"),
        ];
        if let Some(t) = tool {
            attrs.push(KeyValue::new("gen_ai.tool.name", t.to_owned()));
            attrs.push(KeyValue::new("gen_ai.operation.name", "execute_tool"));
        }
        if let Some(e) = error_type {
            attrs.push(KeyValue::new("error.type", e.to_owned()));
        }
        if let Some(v) = protocol_version {
            attrs.push(KeyValue::new("mcp.protocol.version", v.to_owned()));
        }
        self.mcp_duration.record(took.as_secs_f64(), &attrs);
    }

    /// A held call's wait ended (`approved`, `denied`, `expired`,
    /// `pending`, `cancelled`).
    pub fn approval_waited(&self, ended: &'static str, took: Duration) {
        self.approval_wait
            .record(took.as_secs_f64(), &[KeyValue::new("ended", ended)]);
    }

    /// A call's record appended (`decision` or `outcome`).
    pub fn audit_appended(&self, record: &'static str, took: Duration) {
        self.audit_append
            .record(took.as_secs_f64(), &[KeyValue::new("record", record)]);
    }

    /// The fsync histogram, for the audit writer's thread.
    pub fn audit_fsync(&self) -> Arc<Histogram<f64>> {
        Arc::clone(&self.audit_fsync)
    }

    /// A token exchange answered: `issued`, or the OAuth error.
    pub fn exchange(&self, result: &str) {
        self.exchanges
            .add(1, &[KeyValue::new("result", result.to_owned())]);
    }

    /// A shadow policy decided otherwise.
    pub fn shadow_difference(&self) {
        self.shadow.add(1, &[]);
    }

    /// A shared-state operation on a call's path.
    pub fn state_operation(&self, op: &'static str, took: Duration) {
        self.state
            .record(took.as_secs_f64(), &[KeyValue::new("operation", op)]);
    }

    /// Calls in flight now.
    pub fn in_flight(&self, n: usize) {
        self.in_flight.record(n as u64, &[]);
    }

    /// Approval requests waiting now.
    pub fn pending_approvals(&self, n: usize) {
        self.pending.record(n as u64, &[]);
    }

    /// Whether the shared state is unreachable now.
    pub fn degraded(&self, degraded: bool) {
        self.degraded.record(u64::from(degraded), &[]);
    }

    /// The Prometheus text exposition of every instrument.
    pub fn prometheus_text(&self) -> String {
        use prometheus::Encoder as _;
        let _one = self.encoding.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::new();
        if let Err(e) = prometheus::TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::warn!("metrics: cannot encode: {e}");
        }
        String::from_utf8(out).unwrap_or_default()
    }

    /// Export what the OTLP reader still holds and stop it.
    pub fn shutdown(&self) {
        if let Err(e) = self.provider.shutdown() {
            tracing::debug!("metrics: shutdown: {e}");
        }
    }
}

/// `warrant.audit.calls` and `warrant.audit.stops`, observed from the
/// chain's tally when one is set (the calls' callback reads what was
/// appended since the last collection first).
fn chain_counters(
    m: &Meter,
    chain: &Arc<OnceLock<Arc<Tally>>>,
) -> (ObservableCounter<u64>, ObservableCounter<u64>) {
    let calls_of = Arc::clone(chain);
    let calls = m
        .u64_observable_counter("warrant.audit.calls")
        .with_description("Calls recorded in the audit chain this host serves since it started, by any process (CLI, other hosts on the same state directory), by plugin, tool, decision and layer.")
        .with_callback(move |o| {
            let Some(tally) = calls_of.get() else { return };
            if let Err(e) = tally.refresh() {
                tracing::debug!("metrics: the chain's tally: {e}");
            }
            for (k, n) in &tally.totals().calls {
                let decision = match k.decision.as_str() {
                    "allow-with-approval" => "allow",
                    other => other,
                };
                let plugin = if k.plugin.is_empty() { "unknown" } else { k.plugin.as_str() };
                o.observe(
                    *n,
                    &[
                        KeyValue::new("plugin", plugin.to_owned()),
                        KeyValue::new("tool", k.tool.clone()),
                        KeyValue::new("decision", decision),
                        KeyValue::new("layer", k.layer.clone()),
                    ],
                );
            }
        })
        .build();
    let stops_of = Arc::clone(chain);
    let stops = m
        .u64_observable_counter("warrant.audit.stops")
        .with_description("Stop buttons (halt, quarantine, revoke, disable) and their releases recorded in the chain since this host started, by action.")
        .with_callback(move |o| {
            let Some(tally) = stops_of.get() else { return };
            for (action, n) in &tally.totals().stops {
                o.observe(*n, &[KeyValue::new("action", action.clone())]);
            }
        })
        .build();
    (calls, stops)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_instrument_reaches_the_prometheus_text_under_its_stable_name() {
        let m = Meters::new(&Telemetry::default()).unwrap();
        let labels = CallLabels {
            plugin: "p",
            tool: "p.t",
            decision: "deny",
            layer: "scope",
            outcome: "refused",
            channel: "cli",
        };
        m.call(&labels, Duration::from_millis(3));
        m.call(&labels, Duration::from_millis(30));
        m.mcp_operation(
            "tools/call",
            Some("p__t"),
            None,
            Some("2026-07-28"),
            Duration::ZERO,
        );
        m.approval_waited("approved", Duration::from_secs(2));
        m.audit_appended("call", Duration::from_micros(40));
        m.audit_fsync().record(0.002, &[]);
        m.exchange("issued");
        m.shadow_difference();
        m.state_operation("admit", Duration::from_micros(90));
        m.in_flight(2);
        m.pending_approvals(1);
        m.degraded(false);
        let text = m.prometheus_text();
        for line in [
            "warrant_calls_total{channel=\"cli\",decision=\"deny\",layer=\"scope\",outcome=\"refused\",plugin=\"p\",tool=\"p.t\"} 2",
            "warrant_call_duration_seconds_count{decision=\"deny\",plugin=\"p\"} 2",
            "warrant_calls_in_flight 2",
            "warrant_approvals_pending 1",
            "warrant_state_degraded 0",
            "warrant_token_exchanges_total{result=\"issued\"} 1",
            "warrant_policy_shadow_differences_total 1",
            "warrant_audit_fsync_duration_seconds_count 1",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
        }
        for family in [
            "mcp_server_operation_duration_seconds_count",
            "warrant_approval_wait_seconds_count",
            "warrant_audit_append_duration_seconds_count",
            "warrant_state_duration_seconds_count",
        ] {
            assert!(text.contains(family), "missing {family}:\n{text}");
        }
    }
}
