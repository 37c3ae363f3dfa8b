//! The insider attack of the issue: with `warrant serve` running and a
//! high-impact call held, a line appended to `warrant.toml` made a new
//! operator an approver, the host reloaded the file by itself, and that
//! operator's approval ran the call. Now a hand edit is a release nobody
//! signed: the host keeps the release in force and records the refusal,
//! the approval is refused, the held call does not run.

use serde_json::json;

use super::{governed, run};
use crate::fleet::{call, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_edit_that_adds_an_approver_is_not_applied() {
    let fx = governed().await;
    fx.release(&["erin", "frank"]).await.unwrap();
    let serve = start(fx.config_path());
    let token = fx.token("triage-bot", "INC-24", &[]).await;
    let note = json!({"case_id": "INC-24", "note": "wipe the host"});
    let (st, held) = call(&serve.base, &token, "case-note.append", note.clone()).await;
    assert_eq!(st, 202, "held: a task to poll: {held}");
    let id = held["approval_id"].as_str().unwrap().to_owned();

    // The insider: mallory (no role, approves nothing) made an approver.
    fx.edit_config(|t| {
        t.replace(
            "name = \"mallory\"\nroles = []\napproves = []",
            "name = \"mallory\"\nroles = []\napproves = [\"high\"]",
        )
    });
    // The host sees the file change, refuses it, and records why.
    let log = fx.path("state/audit/audit.jsonl");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("\"config.refused\"")
    {
        assert!(std::time::Instant::now() < deadline, "no refusal recorded");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (ok, out) = run(&fx, &["config", "status"]);
    assert!(ok && out.contains("in force: release 1"), "{out}");
    assert!(
        out.contains("operator mallory gains approval right high"),
        "{out}"
    );

    // Mallory's approval is refused: under the rules in force she approves
    // nothing.
    let out = fx.cli_as(
        "mallory",
        &["approvals", "approve", &id, "--reason", "trust me"],
    );
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && text.contains("mallory may not"),
        "{text}"
    );
    // The held call still does not run.
    let (st, again) = call(&serve.base, &token, "case-note.append", note).await;
    assert_ne!(st, 200, "{again}");
    assert_eq!(again["approval_id"].as_str(), Some(id.as_str()), "{again}");
    drop(serve);

    let recs = crate::hardening::records(&fx);
    let refused = recs.iter().find(|r| r.kind == "config.refused").unwrap();
    assert_eq!(refused.str("trigger"), Some("file-change"));
    assert!(
        refused.data["changes"].to_string().contains("mallory"),
        "{}",
        refused.data
    );
    assert!(
        !recs.iter().any(|r| r.kind == "approval.approved"
            || r.kind == "call"
                && r.str("outcome") == Some("ok")
                && r.str("tool") == Some("case-note.append")),
        "the held call ran"
    );
    let (ok, out) = run(&fx, &["audit", "verify"]);
    assert!(ok && out.contains("release 1"), "{out}");
}

/// An insider with write access to the shared state (not to the
/// governors' keys) skips the quorum: the release nobody signed enough is
/// written straight into the state's table of releases. No process puts it
/// in force — each checks every release's quorum again, as the host that
/// applied it did — and the refusal names the release and what it lacks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_written_into_the_shared_state_without_its_quorum_is_not_in_force() {
    use warrant::state::{Releases as _, SqliteState, StoredRelease, now_ms};

    let fx = governed().await;
    fx.release(&["erin", "frank"]).await.unwrap();
    fx.edit_config(|t| {
        t.replace(
            "name = \"mallory\"\nroles = []\napproves = []",
            "name = \"mallory\"\nroles = []\napproves = [\"high\"]",
        )
    });
    // One governor signs; the proposal is refused for want of a second.
    let refused = fx.release(&["erin"]).await.unwrap_err().to_string();
    assert!(refused.contains("needs the signatures of 2"), "{refused}");

    // The insider copies the proposal into the releases, as version 2.
    let state = SqliteState::open(&fx.path("state/state.db")).unwrap();
    let proposal = state.proposals().await.unwrap().remove(0);
    let forged = StoredRelease {
        version: 2,
        digest: proposal.digest.clone(),
        doc: proposal.doc.clone(),
        signatures: format!("[{}]", proposal.signatures.join(",")),
        applied_ms: now_ms(),
    };
    assert!(state.put_release(&forged, &[]).await.unwrap(), "written");

    let (ok, out) = run(&fx, &["config", "status"]);
    assert!(!ok, "a release without its quorum is in force: {out}");
    assert!(
        out.contains("release 2") && out.contains("it needs 2"),
        "the refusal names the release and its quorum: {out}"
    );
    // The chain records no release 2 as applied.
    let recs = crate::hardening::records(&fx);
    assert!(
        recs.iter().any(|r| r.kind == "config.applied"),
        "release 1 is recorded"
    );
    assert!(
        !recs
            .iter()
            .any(|r| r.kind == "config.applied" && r.data["version"] == 2),
        "the forged release is recorded as applied"
    );
}
