//! Dual control: a tool that needs two approvals runs only after the
//! second distinct approver; four eyes bar the operator who issued the
//! token; the config must name enough approvers for a call to be held.

use warrant::CallError;
use warrant::authz::Refusal;
use warrant::state::ApprovalStatus;

use super::{HELD, call, fixture, held_id, untouched, verify_offline};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_of_n_runs_only_after_the_second_distinct_approver() {
    let fx = fixture(|b| {
        b.operator("erin", "[]", r#"["adversary.first-arg"]"#)
            .approvals(r#"required = { "adversary.first-arg" = 2 }"#)
    })
    .await;
    let token = fx.token("bot", "T-1", &[]).await;
    let host = fx.host().await;
    let id = held_id(&call(&host, &token, HELD).await);
    // The first approval is recorded; the call is still held.
    let a = fx.decide("carol", &id, true, "looks right").await.unwrap();
    assert_eq!(
        (a.status, a.votes.clone(), a.required),
        (ApprovalStatus::Pending, vec!["carol".to_owned()], 2)
    );
    assert_eq!(held_id(&call(&host, &token, HELD).await), id, "still held");
    // The same approver again (a fresh signature) is no second approver.
    let e = fx.decide("carol", &id, true, "really").await.unwrap_err();
    assert!(e.to_string().contains("carol approved"), "{e}");
    assert_eq!(fx.admin().await.approval(&id).await.unwrap().votes.len(), 1);
    // A second, distinct approver: it runs, once.
    let a = fx.decide("erin", &id, true, "agreed").await.unwrap();
    assert_eq!(a.status, ApprovalStatus::Approved);
    assert_eq!(a.votes, vec!["carol".to_owned(), "erin".to_owned()]);
    assert!(call(&host, &token, HELD).await.outcome.is_ok());
    // A denial decides at once, whoever approved before.
    let second = held_id(&call(&host, &token, r#"{"arg":"approve-other"}"#).await);
    fx.decide("carol", &second, true, "").await.unwrap();
    let d = fx.decide("erin", &second, false, "no").await.unwrap();
    assert_eq!(d.status, ApprovalStatus::Denied);
    host.shutdown("done").await;
    let (ok, text) = verify_offline(&fx);
    assert!(ok, "{text}");
    for who in ["carol", "erin"] {
        assert!(
            text.contains(&format!(
                "approval.approved: signed by {who} with key {who}-key"
            )),
            "{text}"
        );
    }
    let story =
        String::from_utf8_lossy(&fx.cli(&["audit", "show", "--task", "T-1"]).stdout).into_owned();
    assert!(
        story.contains("[1 of 2]") && story.contains("[2 of 2]"),
        "{story}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_eyes_bar_the_issuer_and_too_few_approvers_refuse_the_call() {
    let fx = fixture(|b| {
        b.operator("erin", "[]", r#"["adversary.first-arg"]"#)
            .approvals("four-eyes = true")
    })
    .await;
    let token = fx.token("bot", "T-1", &[]).await;
    let host = fx.host().await;
    let id = held_id(&call(&host, &token, HELD).await);
    let e = fx.decide("carol", &id, true, "mine").await.unwrap_err();
    assert!(e.to_string().contains("carol issued the token"), "{e}");
    untouched(&fx, &id).await;
    // The issuer may still deny; here another approver approves.
    fx.decide("erin", &id, true, "second pair of eyes")
        .await
        .unwrap();
    assert!(call(&host, &token, HELD).await.outcome.is_ok());
    host.shutdown("done").await;

    // Three approvals needed, two operators may give them: the call is
    // refused, not held for ever.
    let fx = fixture(|b| {
        b.operator("erin", "[]", r#"["adversary.first-arg"]"#)
            .approvals(r#"required = { read = 3 }"#)
    })
    .await;
    let token = fx.token("bot", "T-1", &[]).await;
    let host = fx.host().await;
    let r = call(&host, &token, HELD).await;
    assert!(
        matches!(&r.outcome, Err(CallError::Refused(Refusal::Policy { reason, .. }))
            if reason.contains("3 distinct named humans") && reason.contains("names 2 operator(s)")),
        "{:?}",
        r.outcome
    );
}
