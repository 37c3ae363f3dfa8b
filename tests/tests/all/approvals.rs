//! Approvals: a held call decided from a second process, bound to the
//! exact call, used once; a held call reports its approval id.

use std::time::Duration;

use serde_json::{Value, json};
use warrant::authz::Refusal;
use warrant_tests::Fixture;

use crate::accountability::{call, refusal, soc};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_flow_end_to_end_from_a_second_process() {
    let fx = soc("30s").await;
    let host = fx.host().await;
    let t = fx.token("triage-bot", "INC-2026-0042", &[]).await;
    let args = json!({"case_id": "INC-2026-0042", "note": "Blocked 203.0.113.45"});
    let spawn = |input: Value| {
        let (h, t) = (host.clone(), t.clone());
        tokio::spawn(async move { call(&h, &t, "case-note.append", input).await })
    };

    // Held: a second process sees the request.
    let held = spawn(args.clone());
    let id1 = wait_for_request(&fx).await;
    // The agent itself, and a non-approver, cannot approve it.
    let out = fx.cli_as("triage-bot", &["approvals", "approve", &id1]);
    assert!(
        !out.status.success()
            && String::from_utf8_lossy(&out.stderr).contains("never approves its own calls"),
        "{out:?}"
    );
    let out = fx.cli_as("mallory", &["approvals", "approve", &id1]);
    assert!(
        !out.status.success()
            && String::from_utf8_lossy(&out.stderr).contains("mallory may not decide"),
        "{out:?}"
    );
    assert!(!held.is_finished(), "still held");
    // A named approver approves it from another process: it runs, once.
    let out = fx.cli_as(
        "carol",
        &[
            "approvals",
            "approve",
            &id1,
            "--reason",
            "containment confirmed",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = held.await.unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(first.outcome.as_ref().unwrap()).unwrap()["entry"],
        1
    );

    // The same call again cannot reuse that approval: it is held anew.
    let again = spawn(args.clone());
    let id2 = wait_for_request(&fx).await;
    assert_ne!(id1, id2);
    let out = fx.cli_as(
        "dave",
        &["approvals", "deny", &id2, "--reason", "one note is enough"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let denied = again.await.unwrap();
    assert!(
        matches!(refusal(&denied), Refusal::ApprovalDenied { by, .. } if by == "dave"),
        "{:?}",
        denied.outcome
    );

    // Other arguments need their own approval.
    let other = spawn(json!({"case_id": "INC-2026-0042", "note": "Something else entirely"}));
    let id3 = wait_for_request(&fx).await;
    assert!(![&id1, &id2].contains(&&id3));
    let listed = String::from_utf8_lossy(&fx.cli(&["approvals", "list"]).stdout).to_string();
    assert!(
        listed.contains("Something else entirely") && listed.contains("triage-bot"),
        "{listed}"
    );
    assert!(
        fx.cli_as("dave", &["approvals", "approve", &id3])
            .status
            .success()
    );
    assert!(other.await.unwrap().outcome.is_ok());
    // A used approval cannot be decided again.
    let out = fx.cli_as("carol", &["approvals", "approve", &id1]);
    assert!(
        !out.status.success()
            && String::from_utf8_lossy(&out.stderr).contains("is used, not pending"),
        "{out:?}"
    );
    let text = std::fs::read_to_string(fx.path("cases/INC-2026-0042.md")).unwrap();
    assert_eq!(
        text.matches("## Entry").count(),
        2,
        "exactly the two approved calls ran: {text}"
    );
}

#[tokio::test]
async fn a_held_call_reports_its_approval_id_and_can_be_retried() {
    let fx = soc("1s").await;
    let host = fx.host().await;
    let t = fx.token("triage-bot", "INC-2026-0050", &[]).await;
    let args = json!({"case_id": "INC-2026-0050", "note": "Escalated to tier 2"});
    let r = call(&host, &t, "case-note.append", args.clone()).await;
    let Refusal::PendingApproval {
        approval_id,
        approvers,
        ..
    } = refusal(&r).clone()
    else {
        panic!("{:?}", r.outcome)
    };
    assert_eq!(approvers, "carol, dave");
    assert!(
        r.outcome
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains(&format!("pending approval {approval_id}"))
    );
    assert!(
        fx.cli_as("carol", &["approvals", "approve", &approval_id])
            .status
            .success()
    );
    let retried = call(&host, &t, "case-note.append", args.clone()).await;
    assert!(retried.outcome.is_ok(), "{:?}", retried.outcome);
    let third = call(&host, &t, "case-note.append", args).await;
    assert!(
        matches!(refusal(&third), Refusal::PendingApproval { approval_id: id, .. } if *id != approval_id)
    );
}

pub(crate) async fn wait_for_request(fx: &Fixture) -> String {
    for _ in 0..400 {
        let out = fx.cli(&["approvals", "list"]);
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        if let Some(id) = text.split_whitespace().find(|w| w.starts_with("apr-")) {
            return id.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no approval request appeared");
}
