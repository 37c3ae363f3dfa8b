//! Shadow policies: evaluated beside the live set on every call, never
//! deciding; where they differ a `policy.shadow` record is written and
//! counted in the metrics.

use serde_json::json;
use warrant_tests::{Fixture, PluginSpec};

use super::call;
use crate::hardening::records;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shadow_policy_records_its_differences_and_changes_no_decision() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"])
        .config("")
        .build()
        .await;
    std::fs::write(
        fx.path("shadow.cedar"),
        "@id(\"permit-all\")\npermit (principal, action, resource);\n@id(\"no-b-echo\")\nforbid (principal, action == Action::\"adversary.echo\", resource)\n  when { context.args has text && context.args.text like \"b*\" };\n",
    )
    .unwrap();
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap().replace(
        "files = [\"policy.cedar\"]",
        "files = [\"policy.cedar\"]\nshadow = [\"shadow.cedar\"]",
    );
    std::fs::write(fx.config_path(), cfg).unwrap();
    let host = fx.host().await;
    let t = fx.token("bot", "T-1", &[]).await;
    for text in ["alpha", "beta", "bravo", "gamma"] {
        let r = call(&host, &t, "adversary.echo", &json!({ "text": text })).await;
        assert!(
            r.outcome.is_ok(),
            "the live decision holds for {text}: {:?}",
            r.outcome
        );
    }
    assert_eq!(host.shadow_differences(), 2);
    host.shutdown("done").await;
    let shadows: Vec<_> = records(&fx)
        .into_iter()
        .filter(|r| r.kind == "policy.shadow")
        .collect();
    assert_eq!(shadows.len(), 2);
    for s in &shadows {
        assert_eq!(
            s.data["live"],
            json!({"result": "allow", "policies": ["test-permit-all"]})
        );
        assert_eq!(
            s.data["shadow"],
            json!({"result": "deny", "policies": ["no-b-echo"]})
        );
        assert_eq!(s.data["tool"], "adversary.echo");
        assert!(s.data["call_id"].as_str().unwrap().starts_with("call-"));
    }
    assert!(fx.cli(&["audit", "verify"]).status.success());
}
