//! Finding 2: revoking a token stops its calls — the ones running, and the
//! ones held for approval, which must not run once approved.

use std::time::Duration;

use serde_json::json;
use warrant::authz::Refusal;
use warrant::{CallError, CallFailure, CallRequest, Host};
use warrant_tests::{Fixture, PluginSpec};

use super::{echo, records, still_serves_and_verifies};

const POLICY: &str = r#"
@id("permit-all")
permit (principal, action, resource);

@id("hold-approve-args")
forbid (principal, action == Action::"adversary.first-arg", resource)
  when { context.args has arg && context.args.arg like "approve-*" } unless { context.approved };
"#;

async fn fixture(wait: &str) -> Fixture {
    let fx = Fixture::builder()
        .host_lines("clock-skew = \"0s\"")
        .plugin(PluginSpec::new("adversary").limits("timeout = \"60s\""))
        .agent("bot", &["adversary.*"])
        .policy(POLICY)
        .build()
        .await;
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    std::fs::write(
        fx.config_path(),
        cfg.replace("wait = \"3s\"", &format!("wait = \"{wait}\"")),
    )
    .unwrap();
    fx
}

async fn issue(fx: &Fixture, ttl: Duration) -> (String, String) {
    let (text, claims) = fx
        .token_as("carol", "bot", "T-1", &[], ttl.as_secs())
        .await
        .unwrap();
    (text, claims.id)
}

fn spawn(
    host: &Host,
    token: &str,
    tool: &str,
    input: serde_json::Value,
) -> tokio::task::JoinHandle<warrant::CallResponse> {
    let (h, req) = (
        host.clone(),
        CallRequest {
            token: token.into(),
            tool: tool.into(),
            input: input.into(),
            channel: "lib",
            ..CallRequest::default()
        },
    );
    tokio::spawn(async move { h.call(req).await })
}

async fn until(mut cond: impl FnMut() -> bool) {
    for _ in 0..300 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("condition not reached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_token_cancels_its_calls_in_flight() {
    let fx = fixture("1s").await;
    let host = fx.host().await;
    let (t, id) = issue(&fx, Duration::from_secs(600)).await;
    let (other, _) = issue(&fx, Duration::from_secs(600)).await;
    let running = spawn(&host, &t, "adversary.spin", json!({}));
    let bystander = spawn(&host, &other, "adversary.spin", json!({}));
    until(|| host.inflight() == 2).await;
    let out = fx.cli_as(
        "carol",
        &["token", "revoke", &id, "--reason", "token leaked"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    match running.await.unwrap().outcome {
        Err(CallError::Failed(CallFailure::Cancelled(why))) => {
            assert!(
                why.contains(&format!(
                    "task token {id} was revoked by carol (token leaked)"
                )),
                "{why}"
            )
        }
        other => panic!("expected a cancelled call, got {other:?}"),
    }
    // Only that token's calls: the other one keeps running until stopped.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !bystander.is_finished(),
        "a call under another token was stopped"
    );
    host.shutdown("bystander stopped").await;
    let _ = bystander.await;
    let host = fx.host().await;
    let (fresh, _) = issue(&fx, Duration::from_secs(600)).await;
    still_serves_and_verifies(&fx, &host, &fresh, "adversary.echo", echo()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_call_under_a_revoked_token_never_runs() {
    let fx = fixture("30s").await;
    let srv = crate::api::support::serve(&fx).await;
    let host = srv.host.clone();
    let (t, id) = issue(&fx, Duration::from_secs(600)).await;
    let held = spawn(
        &host,
        &t,
        "adversary.first-arg",
        json!({"arg": "approve-me"}),
    );
    let ops = fx.admin().await;
    let mut request = None;
    for _ in 0..300 {
        if let Some(a) = ops.approvals(false).await.unwrap().first() {
            request = Some(a.id.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let request = request.expect("the call is held");
    // Revoked through the operator API while it waits.
    let r = reqwest::Client::new()
        .post(format!("{}/v1/admin/tokens/{id}/revoke", srv.base))
        .json(&fx.sign(
            "carol",
            warrant::keys::ActionKind::Revoke,
            &id,
            "agent compromised",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let resp = held.await.unwrap();
    assert!(
        matches!(&resp.outcome, Err(CallError::Refused(Refusal::Revoked { by, .. })) if by == "carol"),
        "{:?}",
        resp.outcome
    );
    // Approving it afterwards runs nothing.
    let out = fx.cli_as("carol", &["approvals", "approve", &request]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ran = records(&fx).into_iter().any(|r| {
        r.kind == "call"
            && r.str("tool") == Some("adversary.first-arg")
            && r.str("outcome") == Some("ok")
    });
    assert!(!ran, "the held call ran under a revoked token");
    srv.running.shutdown().await.unwrap();
    let host = fx.host().await;
    let (fresh, _) = issue(&fx, Duration::from_secs(600)).await;
    still_serves_and_verifies(&fx, &host, &fresh, "adversary.echo", echo()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_given_after_the_token_expired_runs_nothing() {
    let fx = fixture("30s").await;
    let host = fx.host().await;
    let (t, _) = issue(&fx, Duration::from_secs(2)).await;
    let held = spawn(
        &host,
        &t,
        "adversary.first-arg",
        json!({"arg": "approve-late"}),
    );
    let ops = fx.admin().await;
    let mut request = None;
    for _ in 0..300 {
        if let Some(a) = ops.approvals(false).await.unwrap().first() {
            request = Some(a.id.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Past the token's expiry (the fixture allows no clock skew).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    fx.decide("carol", &request.unwrap(), true, "late")
        .await
        .unwrap();
    let resp = held.await.unwrap();
    assert!(
        matches!(&resp.outcome, Err(CallError::Refused(Refusal::TokenTime { why, .. })) if why.contains("expired")),
        "{:?}",
        resp.outcome
    );
    let (fresh, _) = issue(&fx, Duration::from_secs(600)).await;
    still_serves_and_verifies(&fx, &host, &fresh, "adversary.echo", echo()).await;
}
