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
        .filter(|r| r.kind == "call.completed")
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
