//! Finding 5: `audit verify` did not compare a signed action with the
//! record that carries it. With the audit MAC key, an attacker edits a
//! record whose operator signature is checked — a resume with another
//! reason, a `token.issued` widened to every tool until 2099, an approval
//! with another reason, a quarantine that also names a plugin — re-MACs
//! and re-chains it, and `audit verify` must still call it forged.

use serde_json::{Value, json};
use warrant::CallError;
use warrant::audit::Record;
use warrant::authz::Refusal;
use warrant::keys::{SigningKey, read_key_file};
use warrant::operator::Stop;
use warrant_tests::Fixture;

use super::{call, echo, still_serves_and_verifies};

fn lines(fx: &Fixture) -> Vec<Record> {
    std::fs::read_to_string(fx.path("state/audit/audit.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Rewrite the first record of `kind` with `edit`, re-hash, re-MAC and
/// re-chain everything after it with the host's own MAC key, and drop the
/// checkpoints that would disagree: what an attacker holding the MAC key
/// can do.
fn forge(fx: &Fixture, kind: &str, edit: impl Fn(&mut Value)) -> Vec<Record> {
    let original = lines(fx);
    let key = match read_key_file(&fx.path("state/keys/audit-mac.key"))
        .unwrap()
        .signing_key()
        .unwrap()
    {
        SigningKey::Hmac(k) => k,
        SigningKey::Ed25519(_) => unreachable!(),
    };
    let mut recs = original.clone();
    let victim = recs.iter().position(|r| r.kind == kind).unwrap();
    edit(&mut recs[victim].data);
    for i in victim..recs.len() {
        if i > 0 {
            recs[i].prev = recs[i - 1].hash.clone();
        }
        recs[i].hash = recs[i].compute_hash();
        recs[i].mac = recs[i].compute_mac(&key);
    }
    let text: Vec<String> = recs
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    std::fs::write(fx.path("state/audit/audit.jsonl"), text.join("\n") + "\n").unwrap();
    let _ = std::fs::remove_file(fx.path("state/audit/checkpoints.jsonl"));
    original
}

fn restore(fx: &Fixture, recs: &[Record]) {
    let text: Vec<String> = recs
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    std::fs::write(fx.path("state/audit/audit.jsonl"), text.join("\n") + "\n").unwrap();
}

fn verify(fx: &Fixture) -> (bool, String) {
    let out = fx.cli(&["audit", "verify"]);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// A change made to a record's data.
type Forgery = Box<dyn Fn(&mut Value)>;

#[tokio::test]
async fn a_record_that_says_more_than_its_signed_action_is_reported() {
    let fx = crate::accountability::soc("1s").await;
    let host = fx.host().await;
    let t = fx.token("triage-bot", "INC-7", &[]).await;
    assert!(
        call(&host, &t, "adversary.echo", &echo().to_string())
            .await
            .outcome
            .is_ok()
    );
    // A held call, approved by dave.
    let note = json!({"case_id": "INC-7", "note": "isolate"}).to_string();
    let held = call(&host, &t, "case-note.append", &note).await;
    let Err(CallError::Refused(Refusal::PendingApproval { approval_id, .. })) = held.outcome else {
        panic!("not held: {:?}", held.outcome);
    };
    fx.decide("dave", &approval_id, true, "containment confirmed")
        .await
        .unwrap();
    fx.stop("carol", &Stop::Halt, "drill").await.unwrap();
    fx.stop("carol", &Stop::Resume, "drill over").await.unwrap();
    fx.stop("carol", &Stop::Quarantine("intel-bot".into()), "looks odd")
        .await
        .unwrap();
    fx.stop("carol", &Stop::Release("intel-bot".into()), "fine")
        .await
        .unwrap();
    host.shutdown("forging").await;
    let (ok, out) = verify(&fx);
    assert!(ok, "{out}");

    let cases: Vec<(&str, Forgery, &str)> = vec![
        (
            "host.resumed",
            Box::new(|d| d["reason"] = json!("approved by the CISO")),
            "reason",
        ),
        (
            "token.issued",
            Box::new(|d| d["tools"] = json!(["*.*"])),
            "tools",
        ),
        (
            "token.issued",
            Box::new(|d| d["expires"] = json!("2099-01-01T00:00:00+00:00")),
            "expires",
        ),
        (
            "approval.approved",
            Box::new(|d| d["reason"] = json!("the CISO said so")),
            "reason",
        ),
        (
            "agent.quarantined",
            Box::new(|d| d["plugin"] = json!("adversary")),
            "names an object",
        ),
        (
            "agent.released",
            Box::new(|d| d["agent"] = json!("someone-else")),
            "names an object",
        ),
        // A field no reader of the kind knows, added beside what was
        // signed — at the top, and inside the signed action itself (whose
        // type refuses unknown fields outright).
        (
            "approval.approved",
            Box::new(|d| d["scope"] = json!("every future call of this agent")),
            "carries `scope`",
        ),
        (
            "host.halted",
            Box::new(|d| d["signed"]["action"]["also"] = json!("disable every plugin")),
            "its details are not those of its kind",
        ),
    ];
    for (kind, edit, says) in cases {
        let original = forge(&fx, kind, edit);
        let (ok, out) = verify(&fx);
        assert!(
            !ok && out.contains("without a valid operator signature") && out.contains(says),
            "a forged {kind} ({says}) passed: {out}"
        );
        restore(&fx, &original);
    }
    // Records that misstate the rules they were made under.
    let rules: Vec<(&str, Forgery, &str)> = vec![
        (
            "call",
            Box::new(|d| d["release"]["digest"] = json!(format!("sha256:{}", "0".repeat(64)))),
            "was not made under the rules in force",
        ),
        (
            "config.applied",
            Box::new(|d| d["signers"] = json!(["mallory"])),
            "its signatures prove",
        ),
        (
            "config.applied",
            Box::new(|d| d["note"] = json!("signed off by the board")),
            "not a release record",
        ),
    ];
    for (kind, edit, says) in rules {
        let original = forge(&fx, kind, edit);
        let (ok, out) = verify(&fx);
        assert!(
            !ok && out.contains(says),
            "a forged {kind} ({says}) passed: {out}"
        );
        restore(&fx, &original);
    }
    // The honest chain still verifies, and the host still serves.
    let (ok, out) = verify(&fx);
    assert!(ok, "{out}");
    let host = fx.host().await;
    still_serves_and_verifies(&fx, &host, &t, "adversary.echo", echo()).await;
}
