//! The chain in segments on a serving host: under a load of durable
//! calls it seals segments as it goes; killed (kill -9) in the
//! middle of sealing one — the open segment renamed, the next not yet
//! begun — it loses nothing it acknowledged: restarted, it goes on from
//! the sealed segment, `audit verify` passes across every segment, every
//! acknowledged call has its record, the index matches the chain, and a
//! task's story reads the same through it (`audit show --task`, the
//! console's timeline) as through the whole chain.

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use warrant_tests::{Fixture, PluginSpec};

/// Calls from 4 clients until the host stops answering (or `until` are
/// acknowledged); the ids of those acknowledged.
async fn load(base: &str, token: &str, until: usize) -> BTreeSet<String> {
    let acked: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let http = reqwest::Client::new();
    let mut workers = Vec::new();
    for w in 0..4 {
        let (http, base, token, acked) = (
            http.clone(),
            base.to_owned(),
            token.to_owned(),
            Arc::clone(&acked),
        );
        workers.push(tokio::spawn(async move {
            for i in 0.. {
                if acked.lock().unwrap().len() >= until {
                    break;
                }
                let r = http
                    .post(format!("{base}/v1/tools/adversary.echo/call"))
                    .bearer_auth(&token)
                    .json(&json!({"input": {"text": format!("w{w}-{i}")}}))
                    .send()
                    .await;
                let Ok(r) = r else { break };
                let ok = r.status().is_success();
                let Ok(body) = r.json::<Value>().await else {
                    break;
                };
                if ok && let Some(id) = body["call_id"].as_str() {
                    acked.lock().unwrap().insert(id.to_owned());
                }
            }
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    acked.lock().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_killed_while_sealing_a_segment_loses_nothing_and_its_chain_verifies() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"])
        .config("[audit]\nsegment-size = \"24KiB\"\n")
        .build()
        .await;
    let token = fx.token("bot", "T-SEG", &[]).await;
    // The first seal kills the host between the rename and the next
    // segment.
    let (mut child, base) = crate::crash::serve(&fx, Some("rotation"));
    let acked = tokio::time::timeout(Duration::from_secs(120), load(&base, &token, usize::MAX))
        .await
        .expect("the host died at its first seal");
    let status = child.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9),
        "killed (kill -9), not stopped: {status:?}"
    );
    let audit = fx.config().audit_dir();
    assert!(!audit.join("audit.jsonl").exists(), "killed mid-seal");
    assert_eq!(
        std::fs::read_dir(audit.join("segments")).unwrap().count(),
        1
    );
    assert!(acked.len() > 5, "{} calls answered", acked.len());
    // Restarted: it goes on, sealing more segments as the load goes on.
    let (mut child, base) = crate::crash::serve(&fx, None);
    let more = load(&base, &token, 400).await;
    assert!(more.len() >= 400);
    // The console's timeline of the task, across the segments: verified,
    // and its export the story the chain tells (compared below).
    let console = crate::console::login(&fx, &base, "carol").await;
    let (status, page) = console.get("/console/tasks/T-SEG").await;
    assert_eq!(status, 200);
    assert!(page.contains("Chain verified:"), "{page}");
    let (status, export) = console.get("/console/tasks/T-SEG/export?format=json").await;
    assert_eq!(status, 200);
    let on_console: Vec<u64> = serde_json::from_str::<Vec<Value>>(&export)
        .unwrap()
        .iter()
        .map(|r| r["seq"].as_u64().unwrap())
        .collect();
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    child.wait().unwrap();
    let sealed = std::fs::read_dir(audit.join("segments")).unwrap().count();
    assert!(sealed >= 3, "{sealed} segments sealed");
    let out = fx.cli(&["audit", "verify"]);
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    // It says which segments it read, where, and what each held.
    let sealed_line = format!(
        "{sealed} sealed segment(s) in {}: records 1..",
        audit.join("segments").display()
    );
    assert!(said.contains(&sealed_line), "{said}");
    assert!(
        said.contains(&format!("the open segment in {}", audit.display())),
        "{said}"
    );
    // Every acknowledged call has its record, across the segments.
    let records = crate::hardening::records(&fx);
    let recorded: BTreeSet<String> = records
        .iter()
        .filter(|r| r.kind == "call" && r.str("outcome") == Some("ok"))
        .filter_map(|r| r.str("call_id").map(str::to_owned))
        .collect();
    let missing: Vec<_> = acked
        .union(&more)
        .filter(|c| !recorded.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "acknowledged without a record: {missing:?}"
    );
    let seqs: Vec<u64> = records.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    // The task's story through the index, as the whole chain tells it.
    let shown = fx.cli(&["audit", "show", "--task", "T-SEG", "--json"]);
    assert!(shown.status.success());
    let through_index: Vec<u64> = String::from_utf8_lossy(&shown.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let whole: Vec<u64> = records
        .iter()
        .filter(|r| r.event().is_some_and(|e| e.task() == Some("T-SEG")))
        .map(|r| r.seq)
        .collect();
    assert!(whole.len() > 400);
    assert_eq!(through_index, whole);
    assert_eq!(on_console, whole);
    let check = fx.cli(&["audit", "reindex", "--check"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}
