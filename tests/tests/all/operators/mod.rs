//! Operator identity (issue 12): every operator action is signed with the
//! operator's own Ed25519 key, verified against the public key in the host
//! config, checked for the operator's role, refused when replayed, stale or
//! changed, and kept in the audit chain, where `audit verify` checks every
//! signature again offline.

mod demo;
mod dual;
mod forged;
mod refusals;
mod rotation;
mod stops;

use warrant::authz::Refusal;
use warrant::state::ApprovalStatus;
use warrant::{CallError, CallRequest, CallResponse, Host};
use warrant_tests::{Fixture, FixtureBuilder, PluginSpec};

/// Calls of `adversary.first-arg` with an argument `approve-…` are held
/// for a human's approval.
pub(crate) const POLICY: &str = r#"
@id("permit-all")
permit (principal, action, resource);

@id("hold-approve-args")
forbid (principal, action == Action::"adversary.first-arg", resource)
  when { context.args has arg && context.args.arg like "approve-*" } unless { context.approved };
"#;

/// A held call's input.
pub(crate) const HELD: &str = r#"{"arg":"approve-containment"}"#;

/// An adversary plugin, agent `bot`, [`POLICY`], a one-second wait; `more`
/// adds to the builder.
pub(crate) async fn fixture(more: impl FnOnce(FixtureBuilder) -> FixtureBuilder) -> Fixture {
    let b = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"])
        .policy(POLICY);
    let fx = more(b).build().await;
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    std::fs::write(
        fx.config_path(),
        cfg.replace("wait = \"3s\"", "wait = \"1s\""),
    )
    .unwrap();
    fx
}

/// One call through the library.
pub(crate) async fn call(host: &Host, token: &str, input: &str) -> CallResponse {
    host.call(CallRequest {
        token: token.into(),
        tool: "adversary.first-arg".into(),
        input: input.into(),
        channel: "lib",
        ..CallRequest::default()
    })
    .await
}

/// The approval id of a held call.
pub(crate) fn held_id(r: &CallResponse) -> String {
    match &r.outcome {
        Err(CallError::Refused(Refusal::PendingApproval { approval_id, .. })) => {
            approval_id.clone()
        }
        other => panic!("expected a held call, got {other:?}"),
    }
}

/// The records of the chain.
pub(crate) fn records(fx: &Fixture) -> Vec<warrant::audit::Record> {
    crate::hardening::records(fx)
}

/// The request is still pending, with no approvals.
pub(crate) async fn untouched(fx: &Fixture, id: &str) {
    let a = fx.admin().await.approval(id).await.unwrap();
    assert_eq!(a.status, ApprovalStatus::Pending, "{a:?}");
    assert!(a.votes.is_empty(), "{a:?}");
}

/// `audit verify` with no host secret (no MAC key): exit status and output.
pub(crate) fn verify_offline(fx: &Fixture) -> (bool, String) {
    let out = fx.cli(&["audit", "verify", "--no-mac"]);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}
