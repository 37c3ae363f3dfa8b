//! The operator API: every action is a signed operator action (a name in a
//! body is refused; the read credential cannot act), roles are checked,
//! replays refused; reads need the read credential.

use reqwest::StatusCode;
use serde_json::{Value, json};
use warrant::keys::{ActionKind, SignedAction};

use super::support::{Server, serve, soc};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_api_takes_signed_actions_only() {
    let fx = soc().await;
    let srv = serve(&fx).await;
    let token = fx.token("triage-bot", "INC-2026-0008", &[]).await;
    let http = reqwest::Client::new();
    // Reading: a task token is no read credential; neither is nothing.
    for cred in [Some(token.as_str()), None] {
        let mut req = http.get(format!("{}/v1/admin/approvals", srv.base));
        if let Some(c) = cred {
            req = req.bearer_auth(c);
        }
        assert_eq!(req.send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    let listed = get(&http, &srv, "/approvals").await;
    assert_eq!(listed["approvals"], json!([]));
    // A bare name, even with the read credential, acts on nothing.
    for body in [json!({"as": "carol", "reason": "drill"}), json!({})] {
        let r = http
            .post(format!("{}/v1/admin/halt", srv.base))
            .bearer_auth(&srv.admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let text = r.text().await.unwrap();
        assert!(text.contains("signed operator action"), "{text}");
    }
    // A held call is decided by a named approver who signs what it is
    // bound to (shown by the API as binding_digest).
    let held: Value = http
        .post(format!("{}/v1/tools/case-note.append/call", srv.base))
        .bearer_auth(&token)
        .json(&json!({"input": {"case_id": "INC-2026-0008", "note": "isolate host"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = held["approval_id"].as_str().unwrap();
    let shown = get(&http, &srv, &format!("/approvals/{id}")).await;
    let digest = shown["binding_digest"].as_str().unwrap();
    let path = format!("/approvals/{id}/deny");
    let by_mallory = fx.signer("mallory").sign_decision(false, id, digest, "no");
    assert_eq!(
        post(&http, &srv, &path, &by_mallory).await.0,
        StatusCode::FORBIDDEN
    );
    // Signed for another approval id than the route names.
    let elsewhere = fx
        .signer("dave")
        .sign_decision(false, "apr-other", digest, "x");
    assert_eq!(
        post(&http, &srv, &path, &elsewhere).await.0,
        StatusCode::BAD_REQUEST
    );
    let by_dave = fx.signer("dave").sign_decision(false, id, digest, "drill");
    let (status, denied) = post(&http, &srv, &path, &by_dave).await;
    assert_eq!(status, StatusCode::OK, "{denied}");
    assert_eq!(
        (&denied["status"], &denied["decided_by"]),
        (&json!("denied"), &json!("dave"))
    );
    // Roles are checked against the signer, not a name.
    let halt = |who: &str| fx.sign(who, ActionKind::Halt, "", "drill");
    assert_eq!(
        post(&http, &srv, "/halt", &halt("mallory")).await.0,
        StatusCode::FORBIDDEN
    );
    let carol_halts = halt("carol");
    assert_eq!(
        post(&http, &srv, "/halt", &carol_halts).await.0,
        StatusCode::OK
    );
    // The same signed action twice: refused as a replay.
    let (status, again) = post(&http, &srv, "/halt", &carol_halts).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{again}");
    assert!(again.to_string().contains("used before"), "{again}");
    // A halt signed as a resume does not resume.
    let (status, _) = post(&http, &srv, "/resume", &halt("carol")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let tools = http
        .get(format!("{}/v1/tools", srv.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(tools.status(), StatusCode::FORBIDDEN);
    let resume = fx.sign("carol", ActionKind::Resume, "", "drill over");
    assert_eq!(
        post(&http, &srv, "/resume", &resume).await.0,
        StatusCode::OK
    );
    for (path, kind, target) in [
        (
            "/agents/triage-bot/quarantine",
            ActionKind::Quarantine,
            "triage-bot",
        ),
        (
            "/agents/triage-bot/release",
            ActionKind::Release,
            "triage-bot",
        ),
        (
            "/plugins/adversary/disable",
            ActionKind::Disable,
            "adversary",
        ),
        ("/plugins/adversary/enable", ActionKind::Enable, "adversary"),
    ] {
        let (status, body) =
            post(&http, &srv, path, &fx.sign("carol", kind, target, "drill")).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(body["changed"], true, "{path}");
    }
    // A token issued over HTTP, then revoked over HTTP.
    let issue = fx.signer("carol").sign_issue(
        warrant::keys::IssueRequest {
            agent: "triage-bot".into(),
            task: "INC-2026-0009".into(),
            tools: vec![],
            ttl_secs: 300,
        },
        "",
    );
    let (status, issued) = post(&http, &srv, "/tokens", &issue).await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    let token_id = issued["token_id"].as_str().unwrap();
    let revoke = fx.sign("carol", ActionKind::Revoke, token_id, "drill");
    let path = format!("/tokens/{token_id}/revoke");
    assert_eq!(post(&http, &srv, &path, &revoke).await.0, StatusCode::OK);
    let r = http
        .get(format!("{}/v1/tools", srv.base))
        .bearer_auth(issued["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let verified = get(&http, &srv, "/audit/verify").await;
    assert_eq!(verified["ok"], true, "{verified}");
    assert!(
        verified["operator_signatures"].as_u64().unwrap() >= 9,
        "{verified}"
    );
    // The CLI keeps working beside the server, on the same state.
    assert!(fx.cli_as("carol", &["halt"]).status.success());
    let r = http
        .get(format!("{}/v1/tools", srv.base))
        .bearer_auth(fx.token("intel-bot", "T", &[]).await)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

async fn get(http: &reqwest::Client, srv: &Server, path: &str) -> Value {
    http.get(format!("{}/v1/admin{path}", srv.base))
        .bearer_auth(&srv.admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// POST a signed action, with no other credential.
async fn post(
    http: &reqwest::Client,
    srv: &Server,
    path: &str,
    signed: &SignedAction,
) -> (StatusCode, Value) {
    let r = http
        .post(format!("{}/v1/admin{path}", srv.base))
        .json(signed)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}
