//! An approval signed by an approver's key works and verifies offline; the
//! same approval with another operator's key, a non-approver's key, no key,
//! a replayed signature, an old timestamp, a changed reason or a changed
//! argument digest is refused, saying which, and changes nothing.

use warrant::keys::{ActionKind, SignedAction};
use warrant::operator::OperatorError;
use warrant::state::ApprovalBinding;

use super::{HELD, call, fixture, held_id, records, untouched, verify_offline};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_approvers_own_fresh_signature_over_the_held_call_approves_it() {
    let fx = fixture(|b| b).await;
    let token = fx.token("bot", "T-1", &[]).await;
    let host = fx.host().await;
    let id = held_id(&call(&host, &token, HELD).await);
    let admin = fx.admin().await;
    let binding: ApprovalBinding = admin.approval(&id).await.unwrap().binding;
    let digest = binding.digest();
    let decision = |name: &str, body: Box<dyn FnOnce(&mut warrant::keys::ActionBody)>| {
        let mut b = fx.body(name, ActionKind::Approve, &id);
        b.binding = Some(digest.clone());
        b.reason = "containment confirmed".into();
        body(&mut b);
        b
    };
    let mut other_args = binding.clone();
    other_args.args_digest = "0".repeat(64);
    let valid = fx.sign_body("carol", decision("carol", Box::new(|_| {})));
    let mut changed_reason = valid.clone();
    changed_reason.action.reason = "rubber stamp".into();
    let mut changed_digest = valid.clone();
    changed_digest.action.binding = Some(other_args.digest());
    let cases: Vec<(&str, SignedAction, &str)> = vec![
        (
            "dave's key signing as carol",
            fx.sign_body(
                "dave",
                decision("carol", Box::new(|b| b.key = "dave-key".into())),
            ),
            "key dave-key is dave's, not carol's",
        ),
        (
            "carol's name and key id, dave's signature",
            fx.sign_body("dave", decision("carol", Box::new(|_| {}))),
            "does not verify under carol's key carol-key",
        ),
        (
            "a non-approver's own key",
            fx.sign_body("mallory", decision("mallory", Box::new(|_| {}))),
            "mallory may not decide adversary.first-arg",
        ),
        (
            "no signature",
            SignedAction {
                action: decision("carol", Box::new(|_| {})),
                sig: String::new(),
                delegation: None,
            },
            "does not verify",
        ),
        (
            "a key no operator has",
            fx.sign_body(
                "carol",
                decision("carol", Box::new(|b| b.key = "ghost-key".into())),
            ),
            "no operator in",
        ),
        (
            "an old timestamp",
            fx.sign_body("carol", decision("carol", Box::new(|b| b.time -= 3600))),
            "more than 300 s from this host's clock",
        ),
        ("a changed reason", changed_reason, "does not verify"),
        (
            "a changed argument digest",
            changed_digest,
            "does not verify",
        ),
        (
            "a signature over another call's arguments",
            fx.sign_body(
                "carol",
                decision(
                    "carol",
                    Box::new(move |b| b.binding = Some(other_args.digest())),
                ),
            ),
            "not approval",
        ),
        (
            "a halt presented as a decision",
            fx.sign_body(
                "carol",
                decision("carol", Box::new(|b| b.kind = ActionKind::Halt)),
            ),
            "approve or deny",
        ),
    ];
    let before = records(&fx).len();
    for (what, signed, says) in cases {
        let e = admin.decide(&signed).await.unwrap_err();
        assert!(e.to_string().contains(says), "{what}: {e}");
        untouched(&fx, &id).await;
        assert_eq!(records(&fx).len(), before, "{what} recorded something");
    }
    // No key at all on the command line: the CLI asks for one.
    let out = fx.cli(&["approvals", "approve", &id]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("--key"), "{err}");
    untouched(&fx, &id).await;

    // The approver's own signature over this call: it runs, once.
    let a = admin.decide(&valid).await.unwrap();
    assert_eq!(a.decided_by.as_deref(), Some("carol"));
    let ran = call(&host, &token, HELD).await;
    assert!(ran.outcome.is_ok(), "{:?}", ran.outcome);
    // The same signed approval again: a replay.
    let e = admin.decide(&valid).await.unwrap_err();
    assert!(matches!(e, OperatorError::Replayed(_)), "{e}");
    assert!(e.to_string().contains("used before"), "{e}");
    host.shutdown("done").await;

    // Offline, with only public keys: the approval's signature verifies.
    let (ok, text) = verify_offline(&fx);
    assert!(ok, "{text}");
    assert!(
        text.contains("approval.approved: signed by carol with key carol-key")
            && text.contains("signature verified"),
        "{text}"
    );
    assert!(text.contains("token.issued: signed by carol"), "{text}");
    // The task's story names the approver and their verified signature.
    let out = fx.cli(&["audit", "show", "--task", "T-1"]);
    let story = String::from_utf8_lossy(&out.stdout);
    assert!(
        story.lines().any(|l| l.contains("APPROVED")
            && l.contains("by carol")
            && l.contains("signed by carol with key carol-key: signature verified")),
        "{story}"
    );
}
