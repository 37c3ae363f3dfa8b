//! `/metrics`: the host's OpenTelemetry instruments in the Prometheus text
//! format (the SDK's Prometheus exporter reads them; see
//! [`crate::telemetry::Meters`]), with the gauges that need a look at the
//! shared state brought up to date first.

use crate::Host;
use crate::state::now_ms;

/// The Prometheus text exposition, with the gauges read from `host` now.
pub(crate) async fn render(host: &Host) -> String {
    let meters = host.meters();
    meters.in_flight(host.inflight());
    let pending = host
        .operator()
        .approvals(false)
        .await
        .map(|l| l.iter().filter(|a| !a.expired(now_ms())).count());
    if let Ok(n) = pending {
        meters.pending_approvals(n);
    }
    meters.prometheus_text()
}
