//! Finding 3: budgets were not atomic across processes. With a budget of 3
//! calls per task and 2 used, concurrent `warrant call` processes on the
//! same state ran 2 more ("4 of 3 calls made"). The check and the count are
//! now one transaction of the shared state: SQLite's write lock, and
//! PostgreSQL's advisory lock on the budget's scope.

use std::process::Output;

use serde_json::json;
use warrant_tests::{Fixture, PluginSpec};

use super::{call, echo, still_serves_and_verifies};

async fn fixture() -> Fixture {
    Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"])
        .config("[[budgets]]\nname = \"three-per-task\"\nper = \"task\"\ncalls = 3\n")
        .build()
        .await
}

/// `n` `warrant call` processes started together on `config`.
fn race(fx: &Fixture, config: &std::path::Path, token: &str, n: usize) -> Vec<Output> {
    race_spawn(fx, config, token, n)
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

fn tally(outs: &[Output]) -> (usize, usize) {
    let ran = outs.iter().filter(|o| o.status.success()).count();
    let over = outs
        .iter()
        .filter(|o| String::from_utf8_lossy(&o.stderr).contains("budget three-per-task is used up"))
        .count();
    (ran, over)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_processes_never_run_more_than_the_budget_on_sqlite() {
    let fx = fixture().await;
    let t = fx.token("bot", "T-1", &[]).await;
    let host = fx.host().await;
    for i in 0..2 {
        let r = call(
            &host,
            &t,
            "adversary.echo",
            &json!({"text": format!("{i}")}).to_string(),
        )
        .await;
        assert!(r.outcome.is_ok(), "{:?}", r.outcome);
    }
    let outs = race(&fx, &fx.config_path(), &t, 6);
    let (ran, over) = tally(&outs);
    assert_eq!((ran, over), (1, 5), "{outs:#?}");
    // The host agrees: 3 of 3, never 4.
    let r = call(&host, &t, "adversary.echo", &echo().to_string()).await;
    let why = format!("{:?}", r.outcome);
    assert!(why.contains("3 of 3 calls made in task T-1"), "{why}");
    let allowed = crate::hardening::records(&fx)
        .iter()
        .filter(|r| r.kind == "call" && r.data["outcome"] == "ok")
        .count();
    assert_eq!(allowed, 3);
    // Another task is not affected; the chain verifies.
    let t2 = fx.token("bot", "T-2", &[]).await;
    still_serves_and_verifies(&fx, &host, &t2, "adversary.echo", echo()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_hosts_never_run_more_than_the_budget_on_postgres() {
    let url = warrant_tests::postgres::database().await;
    let fx = fixture().await;
    // Two hosts (their own state directories and keys) on one database.
    let a = crate::fleet::member_config(&fx, &url, "a");
    let b = crate::fleet::member_config(&fx, &url, "b");
    let ta = crate::fleet::token(&fx, &a, "bot", "T-1").await;
    let tb = crate::fleet::token(&fx, &b, "bot", "T-1").await;
    let first = race(&fx, &a, &ta, 2);
    assert_eq!(tally(&first).0, 2, "{first:#?}");
    // Now 2 of 3 are used: four processes on each host race for the last.
    let children: Vec<_> = [(&a, &ta), (&b, &tb)]
        .into_iter()
        .flat_map(|(c, t)| race_spawn(&fx, c, t, 4))
        .collect();
    let outs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let (ran, over) = tally(&outs);
    assert_eq!((ran, over), (1, 7), "{outs:#?}");
    for cfg in [&a, &b] {
        let out = fx
            .cli_command(&["audit", "verify"])
            .env("WARRANT_CONFIG", cfg)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

fn race_spawn(
    fx: &Fixture,
    config: &std::path::Path,
    token: &str,
    n: usize,
) -> Vec<std::process::Child> {
    (0..n)
        .map(|i| {
            fx.cli_command(&[
                "call",
                "adversary.echo",
                "--input",
                &json!({"text": format!("racer {i}")}).to_string(),
            ])
            .env("WARRANT_CONFIG", config)
            .env("WARRANT_TOKEN", token)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect()
}
