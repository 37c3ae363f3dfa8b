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
            || r.kind == "call.completed"
                && r.str("outcome") == Some("ok")
                && r.str("tool") == Some("case-note.append")),
        "the held call ran"
    );
    let (ok, out) = run(&fx, &["audit", "verify"]);
    assert!(ok && out.contains("release 1"), "{out}");
}
