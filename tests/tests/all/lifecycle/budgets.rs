//! Budgets and the task's history in policy: each budget allows the calls
//! before it and refuses the one that exceeds it, naming itself; a policy
//! can require what must already have happened in the same task.

use serde_json::json;
use warrant_tests::{Fixture, PluginSpec};

use super::{call, refused};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_budget_refuses_the_call_that_exceeds_it_and_allows_those_before() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .plugin(PluginSpec::new("case-note").grants("files = [{ host = \"cases\", guest = \"/cases\", access = \"read-write\" }]"))
        .agent("bot", &["adversary.*", "case-note.*"])
        .agent("other", &["adversary.*"])
        .config(
            "[[budgets]]\nname = \"three-per-task\"\nper = \"task\"\ncalls = 3\n\n\
             [[budgets]]\nname = \"one-high-impact\"\nper = \"agent\"\nonly = \"bot\"\nhigh-impact-calls = 1\nwindow = \"1h\"\n\n\
             [[budgets]]\nname = \"echo-output\"\nper = \"tool\"\nonly = \"adversary.echo\"\noutput = \"1B\"\nwindow = \"1h\"\n",
        )
        .build()
        .await;
    let host = fx.host().await;
    let t1 = fx.token("bot", "T-1", &[]).await;
    let first = json!({"arg": "x"});
    // Per task: three calls, then refused; another task is not affected.
    for i in 0..3 {
        let r = call(&host, &t1, "adversary.first-arg", &first).await;
        assert!(r.outcome.is_ok(), "call {i}: {:?}", r.outcome);
    }
    let r = call(&host, &t1, "adversary.first-arg", &first).await;
    let why = refused(&r);
    assert!(
        why.contains("budget three-per-task is used up: 3 of 3 calls made in task T-1"),
        "{why}"
    );
    // Per agent, high impact only: one case note, then refused.
    let t2 = fx.token("bot", "T-2", &[]).await;
    let note = json!({"case_id": "INC-1", "note": "contained"});
    assert!(
        call(&host, &t2, "case-note.append", &note)
            .await
            .outcome
            .is_ok()
    );
    assert!(
        call(&host, &t2, "adversary.first-arg", &first)
            .await
            .outcome
            .is_ok(),
        "low impact still runs"
    );
    let why = refused(&call(&host, &t2, "case-note.append", &note).await);
    assert!(
        why.contains(
            "budget one-high-impact is used up: 1 of 1 high-impact calls made by agent bot"
        ),
        "{why}"
    );
    // Per tool, output: echo returns until its byte budget is spent, for
    // any agent.
    let t3 = fx.token("other", "T-3", &[]).await;
    let echo = json!({"text": "0123456789"});
    assert!(
        call(&host, &t3, "adversary.echo", &echo)
            .await
            .outcome
            .is_ok()
    );
    let r = call(&host, &t3, "adversary.echo", &echo).await;
    let why = refused(&r);
    assert!(
        why.contains("budget echo-output is used up")
            && why.contains("bytes of output returned of adversary.echo"),
        "{why}"
    );
    host.shutdown("done").await;
    let refusal = crate::hardening::records(&fx)
        .into_iter()
        .filter(|r| r.kind == "call")
        .find(|r| r.data["decision"]["layer"] == "budget")
        .expect("a budget refusal is recorded");
    assert_eq!(refusal.data["decision"]["result"], "deny");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_can_require_what_already_happened_in_the_task() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"])
        .policy(
            "@id(\"permit-all\")\npermit (principal, action, resource);\n\
             @id(\"first-arg-after-echo\")\nforbid (principal, action == Action::\"adversary.first-arg\", resource)\n  unless { context.history.succeeded.contains(\"adversary.echo\") };\n",
        )
        .build()
        .await;
    let host = fx.host().await;
    let t = fx.token("bot", "T-1", &[]).await;
    let first = json!({"arg": "x"});
    let why = refused(&call(&host, &t, "adversary.first-arg", &first).await);
    assert!(why.contains("first-arg-after-echo"), "{why}");
    // A failing echo is no success.
    assert!(
        call(&host, &t, "adversary.echo", &json!({"text": 5}))
            .await
            .outcome
            .is_err()
    );
    assert!(
        refused(&call(&host, &t, "adversary.first-arg", &first).await)
            .contains("first-arg-after-echo")
    );
    assert!(
        call(&host, &t, "adversary.echo", &json!({"text": "ok"}))
            .await
            .outcome
            .is_ok()
    );
    let r = call(&host, &t, "adversary.first-arg", &first).await;
    assert!(r.outcome.is_ok(), "{:?}", r.outcome);
    // Another task has its own history.
    let other = fx.token("bot", "T-2", &[]).await;
    assert!(
        refused(&call(&host, &other, "adversary.first-arg", &first).await)
            .contains("first-arg-after-echo")
    );
}
