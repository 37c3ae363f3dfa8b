//! `audit verify` flags a record that claims an operator's action without
//! a valid operator signature, even when whoever forged it held the host's
//! MAC key (every hash, link, MAC and checkpoint is right).

use std::path::Path;

use warrant::audit::event::{ApprovalDecided, Event, OperatorAction};
use warrant::audit::{FORMAT_VERSION, Record};
use warrant::keys::ActionKind;
use warrant::operator::Stop;
use warrant_tests::Fixture;

use super::{fixture, records, verify_offline};

fn decided(signed: Option<warrant::keys::SignedAction>) -> Event {
    Event::ApprovalApproved(ApprovalDecided {
        approval_id: "apr-forged".into(),
        agent: "bot".into(),
        task: "T-1".into(),
        tool: "adversary.first-arg".into(),
        args_digest: "0".repeat(64),
        plugin_version: Some("1.0.0".into()),
        component_digest: Some("sha256:00".into()),
        tool_digest: Some("0".repeat(64)),
        by: "carol".into(),
        reason: "approved (not really)".into(),
        approvals: 1,
        required: 1,
        signed,
        release: None,
    })
}

fn released(by: &str, signed: Option<warrant::keys::SignedAction>) -> Event {
    Event::AgentReleased(OperatorAction {
        agent: Some("bot".into()),
        plugin: None,
        token_id: None,
        by: by.into(),
        reason: "forged".into(),
        changed: true,
        signed,
        release: None,
    })
}

fn copy(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        } else if e.file_type().unwrap().is_dir() {
            // The releases archived beside the chain go with it.
            copy(&e.path(), &to.join(e.file_name()));
        }
    }
}

/// Append `event` with the host's own keys, as the host would.
async fn forge(fx: &Fixture, event: &Event) {
    let admin = fx.admin().await;
    // Under the release in force, as the host writes it.
    let mut event = event.clone();
    let release = admin.release().cloned();
    match &mut event {
        Event::ApprovalApproved(d) => d.release = release,
        Event::AgentReleased(o) => o.release = release,
        _ => {}
    }
    admin.audit().append(&event, true).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_operator_record_with_a_valid_mac_is_reported() {
    let fx = fixture(|b| b).await;
    fx.stop("carol", &Stop::Halt, "drill").await.unwrap();
    let (ok, text) = verify_offline(&fx);
    assert!(
        ok && text.contains("host.halted: signed by carol"),
        "{text}"
    );
    // With the MAC key too, the genuine chain verifies.
    assert!(fx.cli(&["audit", "verify"]).status.success());
    let audit = fx.config().audit_dir();
    let saved = fx.path("audit-saved");
    copy(&audit, &saved);
    let halt = records(&fx).pop().unwrap().event().unwrap();
    let real = halt.signed().cloned();
    let mallory = fx.sign("mallory", ActionKind::Release, "bot", "forged");
    let mut as_carol = fx.body("mallory", ActionKind::Release, "bot");
    as_carol.operator = "carol".into();
    let mallory_as_carol = fx.sign_body("mallory", as_carol);
    let cases: Vec<(&str, Event, &str)> = vec![
        (
            "no signature",
            decided(None),
            "it carries no operator signature",
        ),
        (
            "carol's real halt signature on a forged approval",
            decided(real.clone()),
            "the signed action is halt, not approve",
        ),
        (
            "mallory's signature on a record naming carol",
            released("carol", Some(mallory)),
            "the record names carol but mallory signed",
        ),
        (
            "mallory's key claiming to be carol's",
            released("carol", Some(mallory_as_carol)),
            "key mallory-key is mallory's, not carol's",
        ),
        (
            "a signature whose action was edited",
            released("carol", {
                let mut s = fx.sign("carol", ActionKind::Release, "bot", "ok");
                s.action.reason = "edited".into();
                Some(s)
            }),
            "does not verify under carol's key carol-key",
        ),
    ];
    for (what, event, says) in cases {
        forge(&fx, &event).await;
        for args in [
            &["audit", "verify", "--no-mac"][..],
            &["audit", "verify"][..],
        ] {
            let out = fx.cli(args);
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(!out.status.success(), "{what}: {text}");
            assert!(
                text.contains("without a valid operator signature") && text.contains(says),
                "{what}: {text}"
            );
        }
        copy(&saved, &audit);
    }
    // An operator record in the old format after new ones: a downgrade
    // written to dodge the signature check.
    let last = records(&fx).pop().unwrap();
    let mut old = Record::seal(
        last.seq + 1,
        &last.time,
        last.host.as_deref(),
        &last.hash,
        &decided(None),
        &mac_key(&fx),
    );
    old.v = Some(FORMAT_VERSION - 1);
    old.hash = old.compute_hash();
    old.mac = old.compute_mac(&mac_key(&fx));
    let log = audit.join("audit.jsonl");
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str(&old.line());
    text.push('\n');
    std::fs::write(&log, text).unwrap();
    let out = fx.cli(&["audit", "verify"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success() && text.contains("records never go back to an older format"),
        "{text}"
    );
}

fn mac_key(fx: &Fixture) -> Vec<u8> {
    let file = warrant::keys::read_key_file(&fx.path("state/keys/audit-mac.key")).unwrap();
    match file.signing_key().unwrap() {
        warrant::keys::SigningKey::Hmac(k) => k,
        warrant::keys::SigningKey::Ed25519(_) => unreachable!(),
    }
}
