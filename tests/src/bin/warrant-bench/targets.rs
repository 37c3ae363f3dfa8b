//! The targets of issue 16, each printed beside what this run measured:
//! ratios against the floors measured in the same run, and a budget per
//! stage of the mediation.

use serde_json::{Value, json};

use crate::loopback::Loopback;
use crate::stats::{Samples, ratio, round};

/// Everything the targets are computed from.
pub struct Measured<'a> {
    pub raw: &'a Samples,
    pub sandbox: &'a Samples,
    pub fast: &'a Samples,
    pub durable: &'a Samples,
    pub fsync: &'a Samples,
    pub loopback: &'a Loopback,
    pub stages: &'a Value,
    pub throughput: &'a Value,
    pub cold: &'a Value,
    pub stops: &'a Value,
}

fn num(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or(f64::NAN)
}

/// Print the budgets and the targets; returns them as JSON.
pub fn report(m: &Measured<'_>) -> Value {
    let st = m.stages;
    let (token, stop, policy, audit) = (
        num(st, "token_p50_us"),
        num(st, "stop_state_p50_us"),
        num(st, "policy_p50_us"),
        num(st, "audit_record_p50_us"),
    );
    // A call checks the stop state twice (before it is admitted and again
    // before it runs) and writes one record (decision and outcome, format
    // 9); what the stages do not explain — attribution, bookkeeping and
    // writing the decision ahead to the journal — is the rest.
    let rest = m.fast.p50() - m.sandbox.p50() - token - 2.0 * stop - policy - audit;
    println!("\nbudgets per stage (µs, p50)");
    let budget = |name: &str, v: f64, max: f64| {
        ratio(name, v, &format!("≤ {max}"), v <= max);
        v <= max
    };
    budget("task token", token, 2.0);
    budget("stop state (one check)", stop, 0.5);
    budget("policy (request + evaluation)", policy, 8.0);
    budget("audit: one record", audit, 5.0);
    budget(
        "attribution, bookkeeping, the journal line (by difference)",
        rest,
        3.0,
    );

    println!("\nratios and targets");
    let med = m.fast.p50() / m.raw.p50();
    ratio("mediated (no fsync) ÷ raw, p50", med, "≤ 1.5", med <= 1.5);
    let over_fsync = m.durable.p50() - m.raw.p50() - m.fsync.p50();
    ratio(
        "durable − raw − one fsync, p50 (µs)",
        over_fsync,
        "≤ 0",
        over_fsync <= 0.0,
    );
    let t64 = m.throughput["mediated_durable"]["64"]
        .as_f64()
        .unwrap_or(0.0)
        / m.throughput["raw"]["64"].as_f64().unwrap_or(1.0);
    ratio(
        "durable mediated ÷ raw throughput, 64 callers",
        t64,
        "≥ 0.5",
        t64 >= 0.5,
    );
    let echo = m.loopback.echo.p50();
    let http_over = m.loopback.http_json.p50() - m.fast.p50();
    ratio(
        "HTTP/JSON − library ÷ raw loopback exchange",
        http_over / echo,
        "≤ 1.2",
        http_over <= 1.2 * echo,
    );
    let mcp_over = m.loopback.mcp.p50() - m.fast.p50();
    ratio(
        "MCP − library ÷ raw loopback exchange",
        mcp_over / echo,
        "≤ 1.5",
        mcp_over <= 1.5 * echo,
    );
    let cache = num(m.cold, "cached_p50_ms");
    ratio("cold load from cache, p50 (ms)", cache, "≤ 2", cache <= 2.0);
    let halt = num(m.stops, "halt_refusal_ms");
    ratio(
        "halt → new calls refused (ms, from the CLI's exit)",
        halt,
        "< 100",
        halt < 100.0,
    );
    let cancel = num(m.stops, "quarantine_cancel_ms");
    ratio(
        "quarantine → in-flight call cancelled (ms)",
        cancel,
        "< 100",
        cancel < 100.0,
    );
    json!({
        "mediated_over_raw_p50": round(med),
        "durable_minus_raw_minus_fsync_us": round(over_fsync),
        "throughput_64": round(t64),
        "raw_loopback_p50_us": round(echo),
        "http_json_over_library_us": round(http_over),
        "mcp_over_library_us": round(mcp_over),
        "attribution_and_bookkeeping_us": round(rest),
        "cached_cold_load_ms": round(cache),
    })
}
