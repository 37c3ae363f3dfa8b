//! Where the mediation's time goes: each stage of the call path timed on
//! its own, in the same run, with the same inputs as the mediated call.

use std::time::Instant;

use serde_json::json;
use warrant::Host;
use warrant::audit::Event;
use warrant::authz::PolicyInput;
use warrant::state::StopState;

use crate::stats::{Samples, round};

/// The policy input of the benchmark's call.
pub fn policy_input<'a>(
    args: &'a serde_json::Value,
    history: &'a warrant::state::TaskHistory,
) -> PolicyInput<'a> {
    PolicyInput {
        agent: "bench",
        plugin: "adversary",
        tool: "adversary.echo",
        task: "BENCH-1",
        impact: "read",
        action_owner: "test-owner",
        token_id: "tok-x",
        scopes: &[],
        args,
        now: chrono::Utc::now(),
        history,
    }
}

/// A call's one record (`call`, format 9) the size of a real one.
pub fn sample_record() -> anyhow::Result<Event> {
    Ok(Event::from_parts(
        "call",
        &json!({
            "call_id": "call-bench-1", "channel": "lib", "tool": "adversary.echo", "token_id": "tok-0123456789abcdef01",
            "agent": "bench", "agent_owner": "bench-owner", "model": "test-model", "model_owner": "test-model-owner",
            "task": "BENCH-1", "plugin": "adversary", "plugin_version": "1.0.0",
            "component_digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
            "signer": "test-publisher", "action_owner": "test-owner", "impact": "read",
            "input_digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000", "input_size": 15,
            "decision": {"result": "allow", "layer": "policy", "policies": ["test-permit-all"], "reason": ""},
            "prompt": null, "context": null,
            "outcome": "ok", "duration_ms": 0, "output_size": 17, "uses": [],
            "output_digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        }),
    )?)
}

/// Time `n` runs of each stage; prints a table and returns JSON.
pub async fn breakdown(
    host: &Host,
    durable: &Host,
    token: &str,
    n: usize,
) -> anyhow::Result<serde_json::Value> {
    let stops = StopState::default();
    let args = json!({"text": "ping"});
    let history = warrant::state::TaskHistory::default();
    let input = policy_input(&args, &history);
    let now = input.now;
    let record = sample_record()?;
    let loaded = host.loaded();
    let (syscall_s, hop_s) = platform(n)?;
    let mut token_s = Samples::default();
    let mut stop_s = Samples::default();
    let mut policy_s = Samples::default();
    let mut request_s = Samples::default();
    let mut evaluate_s = Samples::default();
    let mut audit_s = Samples::default();
    let mut durable_s = Samples::default();
    for _ in 0..n {
        let t = Instant::now();
        loaded
            .authz
            .admit_token(token, &stops, now)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.refusal))?;
        token_s.push(t.elapsed());
        let t = Instant::now();
        host.stops().await?;
        stop_s.push(t.elapsed());
        let t = Instant::now();
        let _ = loaded.authz.policy().decide(&input);
        policy_s.push(t.elapsed());
        let t = Instant::now();
        let request = loaded.authz.policy().request(&input, false);
        request_s.push(t.elapsed());
        let t = Instant::now();
        let _ = loaded.authz.policy().evaluate_request(&request);
        evaluate_s.push(t.elapsed());
        let t = Instant::now();
        host.audit().append(&record, false).await?;
        audit_s.push(t.elapsed());
        let t = Instant::now();
        durable.audit().append(&record, true).await?;
        durable_s.push(t.elapsed());
    }
    println!(
        "\nwhere the mediation's time goes (µs, each stage alone)          p50        p99        n"
    );
    crate::stats::row(
        "task token: decode, HMAC, time window, revocation",
        &token_s,
    );
    crate::stats::row("stop state: the in-memory generation check", &stop_s);
    crate::stats::row("Cedar policy decision on the call's arguments", &policy_s);
    crate::stats::row(
        "  of which: building the request (entities, context)",
        &request_s,
    );
    crate::stats::row("  of which: evaluating one request", &evaluate_s);
    crate::stats::row(
        "one audit record: canonical JSON, SHA-256, MAC, write",
        &audit_s,
    );
    // Counted, not assumed: the chain's records a mediated call adds.
    let per_call = records_per_call(host, token).await?;
    println!(
        "  (a mediated call writes {per_call} audit record(s) on its critical path, and its decision ahead to the journal)"
    );
    crate::stats::row(
        "one durable audit record: write + group-commit fsync",
        &durable_s,
    );
    crate::stats::row("this machine: one system call (fstat)", &syscall_s);
    crate::stats::row("this machine: wake another thread and back", &hop_s);
    Ok(json!({
        "token_p50_us": round(token_s.p50()), "stop_state_p50_us": round(stop_s.p50()),
        "policy_p50_us": round(policy_s.p50()), "policy_request_p50_us": round(request_s.p50()), "policy_evaluate_p50_us": round(evaluate_s.p50()), "audit_record_p50_us": round(audit_s.p50()), "durable_record_p50_us": round(durable_s.p50()), "audit_records_per_call": per_call,
        "syscall_p50_us": round(syscall_s.p50()), "thread_round_trip_p50_us": round(hop_s.p50()),
    }))
}

/// The records a mediated call adds to the chain, counted over 50 calls.
async fn records_per_call(host: &Host, token: &str) -> anyhow::Result<f64> {
    let log = host.audit().paths().log.clone();
    let lines = |p: &std::path::Path| -> anyhow::Result<usize> {
        Ok(std::fs::read(p)?.iter().filter(|b| **b == b'\n').count())
    };
    let before = lines(&log)?;
    for _ in 0..50 {
        crate::scenarios::mediated(host, token).await?;
    }
    Ok((lines(&log)? - before) as f64 / 50.0)
}

/// What the platform charges for a system call and for a thread hop: the
/// unit costs the audit write (lock, stat, write, unlock) and the durable
/// wait (a hop to the sync thread and back) are made of.
fn platform(n: usize) -> anyhow::Result<(Samples, Samples)> {
    let file = std::fs::File::open(std::env::current_exe()?)?;
    let mut syscall = Samples::default();
    for _ in 0..n {
        let t = Instant::now();
        file.metadata()?;
        syscall.push(t.elapsed());
    }
    let (to_tx, to_rx) = std::sync::mpsc::channel::<()>();
    let (back_tx, back_rx) = std::sync::mpsc::channel::<()>();
    let echo = std::thread::spawn(move || {
        while to_rx.recv().is_ok() {
            if back_tx.send(()).is_err() {
                break;
            }
        }
    });
    let mut hop = Samples::default();
    for _ in 0..n {
        let t = Instant::now();
        to_tx.send(())?;
        back_rx.recv()?;
        hop.push(t.elapsed());
    }
    drop(to_tx);
    let _ = echo.join();
    Ok((syscall, hop))
}
