//! The chain's index at scale: built from the synthetic chain (`audit
//! reindex`), then a task's records (one task of
//! [`TASK_RECORDS`](warrant_tests::TASK_RECORDS)) and a call's looked up
//! through it — each record read back from the chain — as `audit show
//! --task` and `GET /v1/calls/{id}` do.

use std::path::Path;
use std::time::Instant;

use serde_json::{Value, json};
use warrant::audit::AuditIndex;
use warrant_tests::{synthetic_call_id, synthetic_task};

use crate::stats::round;

/// Targets on the 2-core bench machine (the issue's, for 10 M records).
const TARGET_TASK_MS: f64 = 10.0;
const TARGET_CALL_MS: f64 = 5.0;

/// Lookups timed of each kind (the median is reported).
const LOOKUPS: u64 = 21;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Build the index of the chain at `log` (of `records` records) and time
/// lookups through it; the figures for the `audit_scale` result.
pub fn measure(log: &Path, records: u64) -> anyhow::Result<Vec<(&'static str, Value)>> {
    let index = AuditIndex::at(log, &log.with_file_name(warrant::audit::INDEX_FILE))?;
    let t = Instant::now();
    let indexed = index.reindex(&mut |_| {})?;
    let build_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(indexed == records, "indexed {indexed} of {records}");
    let mut task_ms = Vec::new();
    let mut call_ms = Vec::new();
    for i in 1..=LOOKUPS {
        // Spread over the chain; clear of the one-in-500 other records.
        let seq = (records * i / (LOOKUPS + 1)) / 500 * 500 + 250;
        let t = Instant::now();
        let found = index.records_of_task(&synthetic_task(seq))?;
        task_ms.push(t.elapsed().as_secs_f64() * 1e3);
        anyhow::ensure!(found.len() >= 49, "task of {seq}: {} records", found.len());
        let t = Instant::now();
        let found = index.records_of(&synthetic_call_id(seq))?;
        call_ms.push(t.elapsed().as_secs_f64() * 1e3);
        anyhow::ensure!(
            found.len() == 1 && found[0].seq == seq,
            "call of {seq}: {found:?}"
        );
    }
    let (task, call) = (median(task_ms), median(call_ms));
    println!(
        "  index built (audit reindex): {build_s:.1} s, {} records/s",
        (records as f64 / build_s.max(1e-9)).round()
    );
    crate::stats::ratio(
        "audit index: a task's 50 records, ms",
        round(task),
        "≤ 10",
        task <= TARGET_TASK_MS,
    );
    crate::stats::ratio(
        "audit index: one call's record, ms",
        round(call),
        "≤ 5",
        call <= TARGET_CALL_MS,
    );
    Ok(vec![
        ("index_build_s", json!(round(build_s))),
        ("task_lookup_ms", json!(round(task))),
        ("call_lookup_ms", json!(round(call))),
    ])
}
