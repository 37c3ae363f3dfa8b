//! Prometheus text metrics for one server: calls by plugin, decision and
//! outcome; a latency histogram; calls in flight and approvals pending.
//! A handful of counters kept beside the calls — no metrics library.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::authz::Refusal;
use crate::state::now_ms;
use crate::{CallError, Host};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Counters of the calls one server made.
#[derive(Debug, Default)]
pub struct Metrics {
    /// (plugin, decision, outcome) → calls.
    calls: Mutex<BTreeMap<(String, &'static str, &'static str), u64>>,
    /// Calls at or under each bucket's bound (not cumulative here).
    buckets: [AtomicU64; BUCKETS.len()],
    /// Calls over the last bound.
    over: AtomicU64,
    sum_micros: AtomicU64,
    count: AtomicU64,
}

/// The decision a call met: `allow` (it ran), `held` (waiting for a
/// human) or `deny`.
fn decision(outcome: &Result<String, CallError>) -> &'static str {
    match outcome {
        Err(CallError::Refused(Refusal::PendingApproval { .. })) => "held",
        Err(CallError::Refused(_)) => "deny",
        Ok(_) | Err(_) => "allow",
    }
}

impl Metrics {
    /// Count one finished call.
    pub fn record(&self, plugin: &str, outcome: &Result<String, CallError>, took: Duration) {
        let result = match outcome {
            Ok(_) => "ok",
            Err(e) => e.kind(),
        };
        if let Ok(mut m) = self.calls.lock() {
            *m.entry((plugin.to_owned(), decision(outcome), result))
                .or_default() += 1;
        }
        let secs = took.as_secs_f64();
        match BUCKETS.iter().position(|b| secs <= *b) {
            Some(i) => self.buckets[i].fetch_add(1, Ordering::Relaxed),
            None => self.over.fetch_add(1, Ordering::Relaxed),
        };
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition, with the gauges read from `host` now.
    pub async fn render(&self, host: &Host) -> String {
        let mut out = String::new();
        out.push_str("# HELP warrant_calls_total Tool calls made through this server, by plugin, policy decision and outcome.\n# TYPE warrant_calls_total counter\n");
        if let Ok(m) = self.calls.lock() {
            for ((plugin, decision, outcome), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "warrant_calls_total{{plugin=\"{}\",decision=\"{decision}\",outcome=\"{outcome}\"}} {n}",
                    escape(plugin)
                );
            }
        }
        out.push_str("# HELP warrant_call_duration_seconds How long calls took, from the request to the audited answer.\n# TYPE warrant_call_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += n.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "warrant_call_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += self.over.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "warrant_call_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}"
        );
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "warrant_call_duration_seconds_sum {sum}");
        let _ = writeln!(
            out,
            "warrant_call_duration_seconds_count {}",
            self.count.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP warrant_calls_in_flight Calls running or waiting for approval now.\n# TYPE warrant_calls_in_flight gauge\nwarrant_calls_in_flight {}",
            host.inflight()
        );
        let _ = writeln!(
            out,
            "# HELP warrant_policy_shadow_differences_total Calls the shadow policies would have decided otherwise.\n# TYPE warrant_policy_shadow_differences_total counter\nwarrant_policy_shadow_differences_total {}",
            host.shadow_differences()
        );
        let now = now_ms();
        let pending = host
            .operator()
            .approvals(false)
            .await
            .map(|l| l.iter().filter(|a| !a.expired(now)).count());
        if let Ok(pending) = pending {
            let _ = writeln!(
                out,
                "# HELP warrant_approvals_pending Approval requests waiting for a human.\n# TYPE warrant_approvals_pending gauge\nwarrant_approvals_pending {pending}"
            );
        }
        out
    }
}

/// Escape a label value.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CallFailure;

    #[test]
    fn decisions_and_outcomes() {
        let m = Metrics::default();
        m.record("p", &Ok("{}".into()), Duration::from_millis(3));
        m.record(
            "p",
            &Err(CallError::Failed(CallFailure::ToolFailed("x".into()))),
            Duration::from_secs(99),
        );
        m.record(
            "p",
            &Err(CallError::Refused(Refusal::Rate("r".into()))),
            Duration::ZERO,
        );
        let calls = m.calls.lock().unwrap();
        assert_eq!(calls[&("p".into(), "allow", "ok")], 1);
        assert_eq!(calls[&("p".into(), "allow", "tool-error")], 1);
        assert_eq!(calls[&("p".into(), "deny", "refused")], 1);
        assert_eq!(m.over.load(Ordering::Relaxed), 1);
        assert_eq!(escape("a\"b\\"), "a\\\"b\\\\");
    }
}
