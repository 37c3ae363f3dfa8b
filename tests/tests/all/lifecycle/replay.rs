//! `warrant policy replay`: a chain of real calls decided again by a
//! candidate policy set finds exactly the decisions that change.

use serde_json::json;
use warrant::authz::{PolicyEngine, replay};
use warrant_tests::{Fixture, PluginSpec};

use super::call;
use crate::hardening::records;

const LIVE: &str = r#"
@id("permit-all")
permit (principal, action, resource);

@id("no-secret-echo")
forbid (principal, action == Action::"adversary.echo", resource)
  when { context.args has text && context.args.text like "*secret*" };
"#;

const CANDIDATE: &str = r#"
@id("permit-all")
permit (principal, action, resource);

@id("no-b-echo")
forbid (principal, action == Action::"adversary.echo", resource)
  when { context.args has text && context.args.text like "b*" };

@id("first-arg-needs-approval")
forbid (principal, action == Action::"adversary.first-arg", resource)
  unless { context.approved };
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_finds_exactly_the_decisions_a_candidate_would_change() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"])
        .policy(LIVE)
        .config("[audit]\narguments = \"200B\"")
        .build()
        .await;
    std::fs::write(fx.path("candidate.cedar"), CANDIDATE).unwrap();
    let host = fx.host().await;
    let t = fx.token("bot", "T-1", &[]).await;
    let echo = |text: &str| json!({ "text": text });
    assert!(
        call(&host, &t, "adversary.echo", &echo("alpha"))
            .await
            .outcome
            .is_ok()
    );
    assert!(
        call(&host, &t, "adversary.echo", &echo("beta"))
            .await
            .outcome
            .is_ok()
    );
    assert!(
        call(&host, &t, "adversary.echo", &echo("the secret"))
            .await
            .outcome
            .is_err()
    );
    assert!(
        call(&host, &t, "adversary.first-arg", &json!({"arg": "x"}))
            .await
            .outcome
            .is_ok()
    );
    // Too big for its arguments to be kept: counted as not replayable.
    let big = "b".repeat(400);
    assert!(
        call(&host, &t, "adversary.echo", &echo(&big))
            .await
            .outcome
            .is_ok()
    );
    // Refused before policy: not a policy decision, not replayed.
    assert!(
        call(&host, "wt1.bogus", "adversary.echo", &echo("beta"))
            .await
            .outcome
            .is_err()
    );
    let loaded = host.loaded();
    let candidate = PolicyEngine::load(
        &[fx.path("candidate.cedar")],
        &loaded.config.agents,
        &loaded.registry.policy_view(),
    )
    .unwrap();
    host.shutdown("done").await;
    let recs = records(&fx);
    let engines = warrant::authz::replay_engines(
        &recs,
        &[fx.path("candidate.cedar")],
        candidate,
        &fx.config().audit_dir(),
    )
    .unwrap();
    let report = replay(&recs, &engines);
    assert_eq!((report.replayed, report.skipped), (4, 1), "{report:?}");
    let changed: Vec<(String, String, String)> = report
        .changed
        .iter()
        .map(|c| (c.tool.clone(), c.recorded.clone(), c.candidate_kind.clone()))
        .collect();
    assert_eq!(
        changed,
        vec![
            ("adversary.echo".into(), "allow".into(), "deny".into()),
            ("adversary.echo".into(), "deny".into(), "allow".into()),
            (
                "adversary.first-arg".into(),
                "allow".into(),
                "needs-approval".into()
            ),
        ]
    );
    assert!(report.changed[0].candidate.contains("no-b-echo"));
    // The same from the command line, on a copy of the chain.
    let copy = fx.path("exported.jsonl");
    std::fs::copy(fx.config().audit_dir().join("audit.jsonl"), &copy).unwrap();
    let out = fx.cli(&[
        "policy",
        "replay",
        "--candidate",
        fx.path("candidate.cedar").to_str().unwrap(),
        "--log",
        copy.to_str().unwrap(),
        "--task",
        "T-1",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("4 calls replayed: 3 would change (1 allow → deny, 1 deny → allow, 1 allow → needs approval, 0 other); 1 not replayable"),
        "{text}"
    );
}
