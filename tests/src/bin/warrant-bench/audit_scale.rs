//! The audit chain at a year's scale: a synthetic chain of real records
//! (chained, hashed and MACed as the writer makes them; made by
//! `warrant_tests::write_synthetic_chain`, not by calls), then the full
//! `audit verify` of it — every hash, link, MAC and the Merkle tree — by
//! the library's `verify_chain` on every core and on one, and, up to a
//! million records, by the definition alone (`verify_chain_by_definition`,
//! the verifier before its fast path) for comparison; then, from the
//! signed mark that full verification leaves, the incremental
//! verification of the records a host appends after it
//! (`verify_incremental`). The file is deleted after measuring.

use std::time::Instant;

use serde_json::{Value, json};
use warrant::audit::{
    MarkOptions, Marked, Start, VerifyKeys, VerifyOptions, verify_chain,
    verify_chain_by_definition, verify_incremental,
};

use crate::stats::round;

/// Records in the full run (`--audit-scale N` for another size, e.g. ten
/// million: ~11 GB of disk for the time of the measurement).
pub const FULL_RECORDS: u64 = 1_000_000;

/// Records under `--smoke`.
pub const SMOKE_RECORDS: u64 = 20_000;

/// The records to measure: `--audit-scale N`, else the full run's; a
/// smoke run's few.
pub fn records(asked: Option<u64>, smoke: bool) -> u64 {
    if smoke {
        SMOKE_RECORDS
    } else {
        asked.unwrap_or(FULL_RECORDS)
    }
}

/// The slow path is measured up to this many records only.
const SLOW_UP_TO: u64 = 1_000_000;

/// What `verify_records_per_s` should reach on the 2-core bench machine.
const TARGET_RECORDS_PER_S: f64 = 250_000.0;

const MAC_KEY: &[u8] = b"warrant-bench synthetic chain key";

/// Records appended after the mark, verified incrementally.
const APPENDED: u64 = 10_000;

/// What `incremental_verify_ms` should stay under (after [`APPENDED`]
/// records, on a chain of any size).
const TARGET_INCREMENTAL_MS: f64 = 100.0;

/// Generate a chain of `records` records, verify it, and return the
/// `audit_scale` result.
pub fn measure(records: u64) -> anyhow::Result<Value> {
    let root = warrant_tests::workspace_root().join("target/bench");
    std::fs::create_dir_all(&root)?;
    let dir = tempfile::tempdir_in(&root)?;
    let log = dir.path().join("audit.jsonl");
    let checkpoints = dir.path().join("audit.checkpoints");
    let t = Instant::now();
    let written = warrant_tests::write_synthetic_chain(&log, records, MAC_KEY)?;
    let generate_s = t.elapsed().as_secs_f64();
    let keys = VerifyKeys {
        mac: Some(MAC_KEY.to_vec()),
        ..VerifyKeys::default()
    };
    let opts = VerifyOptions::default();
    let t = Instant::now();
    let summary = verify_chain(&log, &checkpoints, &keys, &opts, &mut |_, _| {})
        .map_err(|e| anyhow::anyhow!("the synthetic chain does not verify: {e}"))?;
    let verify_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        summary.records == records
            && summary.macs_checked == records
            && summary.by_stored_bytes == records,
        "verified {} records ({} MACs, {} by their stored bytes) of {records}",
        summary.records,
        summary.macs_checked,
        summary.by_stored_bytes
    );
    // The same on one thread: what the other cores add.
    let one = VerifyOptions {
        threads: 1,
        ..VerifyOptions::default()
    };
    let t = Instant::now();
    verify_chain(&log, &checkpoints, &keys, &one, &mut |_, _| {})
        .map_err(|e| anyhow::anyhow!("the synthetic chain does not verify: {e}"))?;
    let one_thread_s = t.elapsed().as_secs_f64();
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let slow_s = if records <= SLOW_UP_TO {
        let t = Instant::now();
        verify_chain_by_definition(&log, &checkpoints, &keys, &opts, &mut |_, _| {})
            .map_err(|e| anyhow::anyhow!("the synthetic chain does not verify: {e}"))?;
        Some(t.elapsed().as_secs_f64())
    } else {
        None
    };
    let lookups = crate::audit_index::measure(&log, records)?;
    let incremental_ms = incremental(&log, &checkpoints, records)?;
    drop(dir);
    let per_s = |s: f64| (records as f64 / s.max(1e-9)).round();
    let verify_rate = per_s(verify_s);
    println!(
        "\nthe audit chain at scale: {records} records, {:.1} MB, generated in {generate_s:.1} s",
        written.bytes as f64 / 1e6
    );
    println!(
        "  full verify (hash, link, MAC, Merkle tree): {verify_s:.2} s, {verify_rate} records/s, {:.0} MB/s",
        written.bytes as f64 / 1e6 / verify_s.max(1e-9)
    );
    println!(
        "  the same on one thread: {one_thread_s:.2} s, {} records/s ({:.2}× faster on {cores} threads)",
        per_s(one_thread_s),
        one_thread_s / verify_s.max(1e-9)
    );
    if let Some(s) = slow_s {
        println!(
            "  by the definition alone (the old path): {s:.2} s, {} records/s",
            per_s(s)
        );
    }
    crate::stats::ratio(
        "audit verify: records/s",
        verify_rate,
        "≥ 250000",
        verify_rate >= TARGET_RECORDS_PER_S,
    );
    println!(
        "  incremental verify of {APPENDED} records appended after the mark: {incremental_ms:.1} ms"
    );
    crate::stats::ratio(
        "audit verify: incremental ms",
        incremental_ms,
        "≤ 100",
        incremental_ms <= TARGET_INCREMENTAL_MS,
    );
    let mut out = json!({
        "records": records, "bytes": written.bytes,
        "generate_s": round(generate_s), "verify_s": round(verify_s),
        "verify_records_per_s": verify_rate, "verify_threads": cores,
        "verify_one_thread_s": round(one_thread_s),
        "verify_one_thread_records_per_s": per_s(one_thread_s),
        "incremental_records": APPENDED, "incremental_verify_ms": round(incremental_ms),
    });
    for (k, v) in lookups {
        out[k] = v;
    }
    if let Some(s) = slow_s {
        out["slow_verify_s"] = json!(round(s));
        out["slow_verify_records_per_s"] = json!(per_s(s));
    }
    Ok(out)
}

/// Leave a signed mark at the end of the chain of `records` records in
/// `log` (a full verification under a generated checkpoint key: the
/// synthetic chain has none of its own), append [`APPENDED`] records, and
/// time the verification that goes on from the mark, in milliseconds.
fn incremental(
    log: &std::path::Path,
    checkpoints: &std::path::Path,
    records: u64,
) -> anyhow::Result<f64> {
    let generated = warrant::keys::generate("bench-mark", warrant::keys::Algorithm::Ed25519)?;
    let warrant::keys::SigningKey::Ed25519(signer) = generated.signing_key()? else {
        anyhow::bail!("an Ed25519 key was asked for");
    };
    let keys = VerifyKeys {
        mac: Some(MAC_KEY.to_vec()),
        checkpoint: Some(signer.verifying_key()),
        ..VerifyKeys::default()
    };
    let how = MarkOptions {
        full: true,
        signer: Some(signer),
    };
    let opts = VerifyOptions::default();
    let marked = verify_incremental(log, checkpoints, &keys, &opts, &how, &mut |_, _| {})
        .map_err(|e| anyhow::anyhow!("the synthetic chain does not verify: {e}"))?;
    anyhow::ensure!(
        marked.marked == Marked::Written,
        "no mark: {:?}",
        marked.marked
    );
    warrant_tests::append_synthetic_chain(log, APPENDED, MAC_KEY)?;
    let how = MarkOptions { full: false, ..how };
    let t = Instant::now();
    let v = verify_incremental(log, checkpoints, &keys, &opts, &how, &mut |_, _| {})
        .map_err(|e| anyhow::anyhow!("the appended records do not verify: {e}"))?;
    let ms = t.elapsed().as_secs_f64() * 1e3;
    anyhow::ensure!(
        matches!(v.start, Start::Mark { records: r, .. } if r == records)
            && v.verified_now() == APPENDED
            && v.summary.macs_checked == records + APPENDED,
        "the incremental verification started at {:?} and read {} records",
        v.start,
        v.verified_now()
    );
    Ok(ms)
}
