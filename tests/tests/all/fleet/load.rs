//! The fleet under load, through HAProxy: one host killed without warning
//! while 8 clients make 200 calls — the balancer routes around it and
//! every call a client saw succeed is in a host's chain; a rolling restart
//! (SIGTERM, start again, next host) while clients call fails no call; 20
//! calls at once against a budget of 10 across three hosts run exactly 10.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde_json::{Value, json};
use warrant::HostConfig;
use warrant::audit::{AuditPaths, Filter, read_records};

use super::lb::{Fleet, call, fixture};
use crate::identity::Jwks;

/// A threat report to scan: a call of a few milliseconds.
const REPORT: &str = "beacon to 198.51.100.77 and hxxps://evil[.]example/payload, \
    dropper sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855, \
    C2 at 203.0.113.45:8443 and update.evil[.]example; mail from ops@evil.example";

/// Clients calling through the balancer until `n` calls were made (or,
/// with `n` = 0, until `stop`): each a bounded scan. `done` counts
/// answers.
fn clients(
    f: &Fleet,
    token: &str,
    clients: usize,
    n: usize,
    done: &Arc<AtomicUsize>,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<Vec<(u16, Value)>>> {
    let next = Arc::new(AtomicUsize::new(0));
    (0..clients)
        .map(|_| {
            let (next, done, stop) = (Arc::clone(&next), Arc::clone(done), Arc::clone(stop));
            let (base, token) = (f.lb.base.clone(), token.to_owned());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut out = Vec::new();
                loop {
                    let more = if n == 0 {
                        !stop.load(Ordering::SeqCst)
                    } else {
                        next.fetch_add(1, Ordering::SeqCst) < n
                    };
                    if !more {
                        return out;
                    }
                    let input = json!({"text": REPORT});
                    out.push(call(&http, &base, &token, "ioc-extract.extract", input).await);
                    done.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect()
}

async fn answers(tasks: Vec<tokio::task::JoinHandle<Vec<(u16, Value)>>>) -> Vec<(u16, Value)> {
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

/// Until `done` reaches `n`.
async fn until(done: &AtomicUsize, n: usize) {
    while done.load(Ordering::SeqCst) < n {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Every call id completed in host `h`'s chain.
fn chain_calls(f: &Fleet, h: usize) -> BTreeSet<String> {
    let config = HostConfig::load(&f.configs[h]).unwrap();
    let paths = AuditPaths::in_dir(&config.audit_dir());
    read_records(&paths.log, &Filter::default())
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.kind == "call")
        .filter_map(|r| r.str("call_id").map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_host_killed_under_load_is_routed_around_and_every_answered_call_is_in_a_chain() {
    let jwks = Jwks::start(&[]).await;
    let mut f = Fleet::start(fixture(&jwks).await, 3).await;
    let t = f.token(0, "triage-bot", "LOAD-1").await;
    let (done, stop) = (Arc::default(), Arc::default());
    let running = clients(&f, &t, 8, 200, &done, &stop);
    // A fifth of the way in, host 2 dies.
    until(&done, 40).await;
    f.kill9(1);
    let mut all = answers(running).await;
    assert_eq!(all.len(), 200);
    // Only the calls under way on the dead host, or sent on its open
    // connections before the balancer saw it die, may fail: at most two
    // per client.
    let failed = all.iter().filter(|(st, _)| *st != 200).count();
    assert!(
        failed <= 16,
        "{failed} of 200 failed: {:?}",
        all.iter().filter(|(st, _)| *st != 200).collect::<Vec<_>>()
    );
    // Routed around: the next hundred calls all run.
    let after = answers(clients(&f, &t, 8, 100, &done, &stop)).await;
    let failed: Vec<_> = after.iter().filter(|(st, _)| *st != 200).collect();
    assert!(failed.is_empty(), "after the host died: {failed:?}");
    all.extend(after);
    // Every call a client saw succeed is in the chain of the host that ran
    // it — the dead host's too (a record is durable before its answer).
    let mut chains = BTreeSet::new();
    for h in 0..3 {
        chains.extend(chain_calls(&f, h));
    }
    for (_, b) in all.iter().filter(|(st, _)| *st == 200) {
        let id = b["call_id"].as_str().unwrap();
        assert!(chains.contains(id), "answered call {id} is in no chain");
    }

    // The chain survives its host. From a directory holding nothing but
    // the database's URL, `audit verify --fleet` verifies every host from
    // the records it shipped — with the dead host's disk still there,
    // naming what it had not shipped yet; with that disk gone too.
    let url = std::fs::read_to_string(&f.configs[0])
        .unwrap()
        .lines()
        .find(|l| l.starts_with("url = \"postgres"))
        .unwrap()
        .to_owned();
    let outsider = tempfile::tempdir().unwrap();
    std::fs::write(
        outsider.path().join("warrant.toml"),
        format!("[state]\n{url}\n"),
    )
    .unwrap();
    let verify = || {
        let out = std::process::Command::new(warrant_tests::fixture_cli())
            .args(["audit", "verify", "--fleet", "--config", "warrant.toml"])
            .current_dir(outsider.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    };
    let (ok, text) = verify();
    assert!(ok && text.contains("OK: 3 host(s) verified"), "{text}");
    let dead = HostConfig::load(&f.configs[1]).unwrap().audit_dir();
    let dead_host = host_of(&dead);
    std::fs::rename(&dead, dead.with_extension("lost")).unwrap();
    let (ok, text) = verify();
    assert!(ok && text.contains("OK: 3 host(s) verified"), "{text}");
    let story = text
        .split(&format!("host {dead_host}: "))
        .nth(1)
        .unwrap_or_default();
    assert!(
        story.starts_with("OK") && story.contains("verified from the shared store alone"),
        "the dead host, its disk gone: {text}"
    );
    let shipped: u64 = story
        .trim_start_matches("OK — ")
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(shipped > 0, "the dead host shipped its records: {text}");
}

/// The host id a chain's records carry.
fn host_of(audit_dir: &std::path::Path) -> String {
    read_records(&AuditPaths::in_dir(audit_dir).log, &Filter::default())
        .unwrap()
        .into_iter()
        .find_map(|r| r.host)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rolling_restart_under_load_fails_no_call() {
    let jwks = Jwks::start(&[]).await;
    let mut f = Fleet::start(fixture(&jwks).await, 3).await;
    let t = f.token(0, "triage-bot", "LOAD-2").await;
    let (done, stop): (Arc<AtomicUsize>, Arc<AtomicBool>) = (Arc::default(), Arc::default());
    let running = clients(&f, &t, 6, 0, &done, &stop);
    until(&done, 20).await;
    for h in 0..3 {
        let before = done.load(Ordering::SeqCst);
        f.restart(h).await;
        // Calls went on while it restarted, and go on after.
        until(&done, before + 20).await;
    }
    stop.store(true, Ordering::SeqCst);
    let all = answers(running).await;
    let failed: Vec<_> = all.iter().filter(|(st, _)| *st != 200).collect();
    assert!(
        failed.is_empty(),
        "{} of {} failed: {failed:?}",
        failed.len(),
        all.len()
    );
    assert!(all.len() >= 80, "{}", all.len());
    let mut chains = BTreeSet::new();
    for h in 0..3 {
        chains.extend(chain_calls(&f, h));
    }
    for (_, b) in &all {
        let id = b["call_id"].as_str().unwrap();
        assert!(chains.contains(id), "answered call {id} is in no chain");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_calls_at_once_against_a_budget_of_ten_across_three_hosts_run_exactly_ten() {
    let jwks = Jwks::start(&[]).await;
    let f = Fleet::start(fixture(&jwks).await, 3).await;
    let t = f.token(1, "budget-bot", "BUDGET-1").await;
    let gate = Arc::new(tokio::sync::Barrier::new(20));
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (gate, base, t) = (Arc::clone(&gate), f.base(i % 3), t.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            gate.wait().await;
            call(&http, &base, &t, "adversary.echo", json!({"text": "x"})).await
        }));
    }
    let mut ran = 0;
    let mut refused = 0;
    for task in tasks {
        let (st, body) = task.await.unwrap();
        match st {
            200 => ran += 1,
            _ => {
                assert!(body.to_string().contains("ten-calls"), "{st} {body}");
                refused += 1;
            }
        }
    }
    assert_eq!((ran, refused), (10, 10));
}
