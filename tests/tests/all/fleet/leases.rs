//! Limits on a fleet without a database round trip per call: hosts take
//! slices of a rate window and of a budget, admit calls from them in
//! memory, and never admit more than the window or budget holds.

use std::sync::Arc;

use serde_json::json;
use warrant_tests::{Fixture, PluginSpec};

use super::{call, member_config, start, token};

async fn metered() -> Fixture {
    Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent_toml("[[agents]]\nid = \"busy-bot\"\nowner = \"o\"\nmodel = \"m\"\nmodel-owner = \"mo\"\ntools = [\"adversary.*\"]\nrate = \"100000/min\"\n")
        .agent_toml("[[agents]]\nid = \"tight-bot\"\nowner = \"o\"\nmodel = \"m\"\nmodel-owner = \"mo\"\ntools = [\"adversary.*\"]\nrate = \"100/min\"\n")
        .config("[[budgets]]\nname = \"busy-budget\"\nper = \"agent\"\nonly = \"busy-bot\"\ncalls = 100000\n")
        .build()
        .await
}

async fn db(url: &str) -> tokio_postgres::Client {
    let (db, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    db
}

async fn count(db: &tokio_postgres::Client, sql: &str) -> i64 {
    db.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limited_calls_come_out_of_slices_and_every_one_is_counted() {
    let fx = metered().await;
    let url = warrant_tests::postgres::database().await;
    let a = start(member_config(&fx, &url, "a"));
    let t = token(&fx, &a.config, "busy-bot", "LEASE-1").await;
    for i in 0..100 {
        let (st, body) = call(&a.base, &t, "adversary.echo", json!({"text": "x"})).await;
        assert_eq!(st, 200, "call {i}: {body}");
    }
    let db = db(&url).await;
    // A handful of transactions took the window's calls, not one a call.
    let leases = count(
        &db,
        "SELECT COUNT(DISTINCT lease) FROM rate_events WHERE key = 'agent:busy-bot'",
    )
    .await;
    assert!((1..=10).contains(&leases), "{leases} slices for 100 calls");
    // Every admitted call is counted in the window (and the slices' calls
    // not used yet stay counted until given back).
    let events = count(
        &db,
        "SELECT COUNT(*) FROM rate_events WHERE key = 'agent:busy-bot'",
    )
    .await;
    assert!(events >= 100, "{events} events for 100 calls");
    // Every call that ran is in the task's history with its outcome (written
    // after the answer: nothing here decides on it); the rows reserved
    // ahead for the budget are counted but not history.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let done = count(
            &db,
            "SELECT COUNT(*) FROM call_uses WHERE task = 'LEASE-1' AND NOT reserved AND ok",
        )
        .await;
        if done == 100 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{done} of 100 outcomes written"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let reserved = count(&db, "SELECT COUNT(*) FROM call_uses WHERE reserved").await;
    assert!(reserved < 100, "{reserved} rows reserved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hosts_taking_slices_at_once_never_admit_more_than_the_window() {
    let fx = metered().await;
    let url = warrant_tests::postgres::database().await;
    let hosts = [
        start(member_config(&fx, &url, "a")),
        start(member_config(&fx, &url, "b")),
    ];
    let mut tokens = Vec::new();
    for h in &hosts {
        tokens.push(token(&fx, &h.config, "tight-bot", "LEASE-2").await);
    }
    // 150 calls, 8 at a time on each host, against 100 a minute.
    let gate = Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = Vec::new();
    for i in 0..150 {
        let (gate, base, t) = (
            Arc::clone(&gate),
            hosts[i % 2].base.clone(),
            tokens[i % 2].clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            call(&base, &t, "adversary.echo", json!({"text": "x"})).await
        }));
    }
    let (mut ran, mut refused) = (0, 0);
    for task in tasks {
        let (st, body) = task.await.unwrap();
        if st == 200 {
            ran += 1;
        } else {
            assert!(body.to_string().contains("100/min"), "{st} {body}");
            refused += 1;
        }
    }
    // Never more than the window holds; fewer only by what a host held
    // and did not use when the other was refused.
    assert!(ran <= 100, "{ran} calls ran against 100/min");
    assert!(ran >= 80, "only {ran} of 100 ran ({refused} refused)");
}
