//! Finding 3: an approval is bound to the plugin version, the component
//! digest and the signed tool definition, not only to agent, task, tool
//! and arguments — an approval given under one release is no approval for
//! the next.

use serde_json::Value;
use warrant::CallError;
use warrant::authz::Refusal;
use warrant_tests::{Fixture, PluginSpec};

use super::{call, echo, records, still_serves_and_verifies};

const POLICY: &str = r#"
@id("permit-all")
permit (principal, action, resource);

@id("hold-approve-args")
forbid (principal, action == Action::"adversary.first-arg", resource)
  when { context.args has arg && context.args.arg like "approve-*" } unless { context.approved };
"#;

fn held_id(r: &warrant::CallResponse) -> String {
    match &r.outcome {
        Err(CallError::Refused(Refusal::PendingApproval { approval_id, .. })) => {
            approval_id.clone()
        }
        other => panic!("expected a held call, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_does_not_survive_a_new_release_of_the_plugin() {
    let v1 = PluginSpec::new("adversary").action_owner("owner-a");
    let fx = Fixture::builder()
        .plugin(v1.clone())
        .agent("bot", &["adversary.*"])
        .policy(POLICY)
        .build()
        .await;
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    std::fs::write(
        fx.config_path(),
        cfg.replace("wait = \"3s\"", "wait = \"1s\""),
    )
    .unwrap();
    let t = fx.token("bot", "T-1", &[]).await;
    let host = fx.host().await;
    let input = r#"{"arg":"approve-release"}"#;
    let first = held_id(&call(&host, &t, "adversary.first-arg", input).await);
    let out = fx.cli_as("carol", &["approvals", "approve", &first]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    host.shutdown("new release").await;
    // A newly signed 1.0.1 whose tool definition changed (another action
    // owner), loaded in place of 1.0.0.
    let v2 = v1.version("1.0.1").action_owner("owner-b");
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    fx.write_manifest(&v2).await;
    std::fs::write(fx.config_path(), cfg).unwrap();
    let host = fx.host().await;
    assert_eq!(
        host.registry()
            .get("adversary")
            .unwrap()
            .manifest
            .manifest()
            .plugin
            .version,
        "1.0.1"
    );
    let second = held_id(&call(&host, &t, "adversary.first-arg", input).await);
    assert_ne!(first, second, "the 1.0.0 approval was used for 1.0.1");
    let list = fx.cli(&["approvals", "list", "--all"]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.contains("plugin version 1.0.1") && text.contains("plugin version 1.0.0"),
        "{text}"
    );
    let old = fx.admin().await.approvals(true).await.unwrap();
    let old = old.iter().find(|a| a.id == first).unwrap();
    assert_eq!(
        old.status.as_str(),
        "approved",
        "the old approval stays unused"
    );
    // The request records what it is bound to.
    let req = records(&fx)
        .into_iter()
        .filter(|r| r.kind == "approval.requested")
        .find(|r| r.str("approval_id") == Some(second.as_str()))
        .unwrap();
    assert_eq!(req.str("plugin_version"), Some("1.0.1"));
    assert!(req.str("component_digest").unwrap().starts_with("sha256:"));
    assert_eq!(req.str("tool_digest").map(str::len), Some(64));
    // Approved for 1.0.1, it runs.
    let out = fx.cli_as("carol", &["approvals", "approve", &second]);
    assert!(out.status.success());
    let ran = call(&host, &t, "adversary.first-arg", input).await;
    let out: Value = serde_json::from_str(ran.outcome.as_ref().unwrap()).unwrap();
    assert_eq!(out["acted_on"], "approve-release");
    still_serves_and_verifies(&fx, &host, &t, "adversary.echo", echo()).await;
}
