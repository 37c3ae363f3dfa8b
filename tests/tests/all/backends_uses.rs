//! Budgets on both backends: a budget without a window is read from the
//! running totals of its scope (one row, however long the history), kept
//! in the same transactions that count calls and their outcomes.

use warrant::state::{CallUse, UsageScope, UseLimit, now_ms};

use crate::backends::{Backend, handles};

fn call(task: &str) -> CallUse {
    CallUse {
        task: task.into(),
        agent: "bot".into(),
        tool: "p.t".into(),
        high: false,
        at: now_ms(),
    }
}

fn limit(calls: Option<u64>, output: Option<u64>) -> UseLimit {
    UseLimit {
        scope: UsageScope::Agent("bot".into()),
        since_ms: 0,
        calls,
        high_impact_calls: None,
        output,
    }
}

async fn budgets_without_a_window_count_from_running_totals(kind: Backend) {
    let (a, b, _g) = handles(kind).await;
    // Three calls across two handles; the fourth is over.
    let three = [limit(Some(3), None)];
    let mut ids = Vec::new();
    for (h, task) in [(&a, "T1"), (&b, "T2"), (&a, "T1")] {
        ids.push(h.record_use(&call(task), &three).await.unwrap().unwrap());
    }
    let hit = b
        .record_use(&call("T3"), &three)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(hit.used.calls, 3);
    // Their outputs count once each, whoever writes them.
    for id in &ids {
        a.finish_use(*id, true, 40).await.unwrap();
    }
    b.finish_use(ids[0], true, 40).await.unwrap();
    let hit = b
        .record_use(&call("T4"), &[limit(None, Some(120))])
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!((hit.used.calls, hit.used.output), (3, 120));
    assert!(
        b.record_use(&call("T4"), &[limit(None, Some(121))])
            .await
            .unwrap()
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_budgets_without_a_window_count_from_running_totals() {
    budgets_without_a_window_count_from_running_totals(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_budgets_without_a_window_count_from_running_totals() {
    budgets_without_a_window_count_from_running_totals(Backend::Postgres).await;
}

/// A one-shot `warrant call` writes its call's outcome (deferred past the
/// answer when nothing decides on it) before the process exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_shot_call_writes_its_outcome_before_it_exits() {
    let fx = warrant_tests::Fixture::builder()
        .plugin(warrant_tests::PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"])
        .config("[[budgets]]\nname = \"plenty\"\nper = \"agent\"\ncalls = 100\n")
        .build()
        .await;
    let t = fx.token("bot", "T-ONE", &[]).await;
    let out = fx.cli(&[
        "call",
        "adversary.echo",
        "--input",
        r#"{"text":"x"}"#,
        "--token",
        &t,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = rusqlite::Connection::open(fx.path("state/state.db")).unwrap();
    let (ok, output): (Option<bool>, Option<i64>) = db
        .query_row(
            "SELECT ok, output FROM call_uses WHERE task = 'T-ONE'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(ok, Some(true));
    assert!(output.unwrap_or(0) > 0, "{output:?}");
}
