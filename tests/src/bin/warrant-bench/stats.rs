//! Samples, percentiles, the table and the JSON result.

use std::time::Duration;

use serde_json::{Value, json};

/// Latencies of one variant.
#[derive(Debug, Default, Clone)]
pub struct Samples {
    ns: Vec<u64>,
}

impl Samples {
    /// Add one measurement.
    pub fn push(&mut self, d: Duration) {
        self.ns
            .push(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }

    /// The `q` quantile, in microseconds.
    pub fn quantile_us(&self, q: f64) -> f64 {
        if self.ns.is_empty() {
            return f64::NAN;
        }
        let mut v = self.ns.clone();
        v.sort_unstable();
        let i = ((v.len() - 1) as f64 * q).round() as usize;
        v[i] as f64 / 1000.0
    }

    /// Median, µs.
    pub fn p50(&self) -> f64 {
        self.quantile_us(0.5)
    }

    /// 99th percentile, µs.
    pub fn p99(&self) -> f64 {
        self.quantile_us(0.99)
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.ns.len()
    }

    /// As JSON.
    pub fn json(&self) -> Value {
        json!({"n": self.len(), "p50_us": round(self.p50()), "p99_us": round(self.p99())})
    }
}

/// Two decimals.
pub fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// One row of the latency table.
pub fn row(name: &str, s: &Samples) {
    println!(
        "  {name:<52} {:>10.1} {:>10.1} {:>8}",
        s.p50(),
        s.p99(),
        s.len()
    );
}

/// One ratio line with its target.
pub fn ratio(name: &str, value: f64, target: &str, ok: bool) {
    println!(
        "  {name:<52} {value:>10.2}   target {target:<10} {}",
        if ok { "met" } else { "MISSED" }
    );
}
