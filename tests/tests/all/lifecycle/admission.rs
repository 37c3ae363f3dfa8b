//! The admission (authz, after any approval wait): the concurrency caps
//! and the budgets' counting refuse a call before its decision is
//! recorded, so the record of a call refused there is a refusal with its
//! layer — never an "allow" whose call then did not run.

use std::time::Duration;

use serde_json::json;
use warrant::{CallRequest, CancelToken};
use warrant_tests::{Fixture, PluginSpec};

use super::{call, refused};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caps_and_counted_budgets_refuse_with_their_layer_in_the_decision() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"])
        .agent_toml("[[agents]]\nid = \"single-bot\"\nowner = \"o\"\nmodel = \"m\"\nmodel-owner = \"mo\"\ntools = [\"adversary.*\"]\nmax-concurrent = 1\n")
        .config("[[budgets]]\nname = \"two-first-args\"\nper = \"tool\"\nonly = \"adversary.first-arg\"\ncalls = 2\n")
        .build()
        .await;
    let host = fx.host().await;

    // The cap: one call of single-bot in flight, the next refused.
    let spin_token = fx.token("single-bot", "T-SPIN", &[]).await;
    let cancel = CancelToken::new();
    let (h, c) = (host.clone(), cancel.clone());
    let spinning = tokio::spawn(async move {
        h.call_cancellable(
            CallRequest {
                token: spin_token,
                tool: "adversary.spin".into(),
                input: json!({"n": 0}).into(),
                channel: "lib",
                ..CallRequest::default()
            },
            c,
        )
        .await
    });
    let second = fx.token("single-bot", "T-CAP", &[]).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let why = loop {
        let r = call(&host, &second, "adversary.echo", &json!({"text": "x"})).await;
        let why = refused(&r);
        if why.contains("at most 1 calls in flight") {
            break why;
        }
        // Until the spinning call is in flight, the echo runs.
        assert!(r.outcome.is_ok(), "{why}");
        assert!(std::time::Instant::now() < deadline, "the cap never held");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(why.contains("agent single-bot"), "{why}");
    cancel.cancel("the test is done with it");
    let _ = tokio::time::timeout(Duration::from_secs(20), spinning)
        .await
        .expect("the spinning call ends when cancelled");

    // The budget, counted at admission: of eight calls at once, exactly
    // two run, whichever passed the first check.
    let t = fx.token("bot", "T-RACE", &[]).await;
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let (h, t) = (host.clone(), t.clone());
            tokio::spawn(
                async move { call(&h, &t, "adversary.first-arg", &json!({"arg": "y"})).await },
            )
        })
        .collect();
    let mut ran = 0;
    for c in calls {
        let r = c.await.unwrap();
        if r.outcome.is_ok() {
            ran += 1;
        } else {
            assert!(
                refused(&r).contains("budget two-first-args is used up"),
                "{}",
                refused(&r)
            );
        }
    }
    assert_eq!(ran, 2, "a budget of two calls per task");
    host.shutdown("done").await;

    let recs = crate::hardening::records(&fx);
    let decided = |task: &str| -> Vec<(String, String)> {
        recs.iter()
            .filter(|r| r.kind == "call" && r.data["task"] == task)
            .map(|r| {
                (
                    r.data["decision"]["result"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned(),
                    r.data["decision"]["layer"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned(),
                )
            })
            .collect()
    };
    let cap = decided("T-CAP");
    assert!(
        cap.contains(&("deny".to_owned(), "concurrency".to_owned())),
        "the cap's refusal is a decision of layer concurrency: {cap:?}"
    );
    let race = decided("T-RACE");
    let allowed = race.iter().filter(|(r, _)| r == "allow").count();
    let budget = race
        .iter()
        .filter(|(r, l)| r == "deny" && l == "budget")
        .count();
    assert_eq!(
        (allowed, budget),
        (2, 6),
        "two allowed and run, six refused by the budget: {race:?}"
    );
}
