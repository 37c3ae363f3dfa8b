//! The admin API: the operator credential, operator names still checked,
//! approvals, stop buttons, token revocation, audit verification.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::support::{Server, serve, soc};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_api_needs_the_operator_credential_and_names() {
    let fx = soc().await;
    let srv = serve(&fx).await;
    let token = fx.token("triage-bot", "INC-2026-0008", &[]).await;
    let http = reqwest::Client::new();
    let admin = |path: &'static str, who: &'static str| admin_json(&http, &srv, path, who);
    // A task token is no operator credential; neither is nothing.
    for cred in [Some(token.as_str()), None] {
        let mut req = http.get(format!("{}/v1/admin/approvals", srv.base));
        if let Some(c) = cred {
            req = req.bearer_auth(c);
        }
        assert_eq!(req.send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    let listed: Value = http
        .get(format!("{}/v1/admin/approvals", srv.base))
        .bearer_auth(&srv.admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["approvals"], json!([]));
    // A held call is decided here by a named approver, never by the agent.
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
    let id = held["error"]["approval_id"].as_str().unwrap();
    let path = format!("/approvals/{id}/deny");
    let by_agent = admin_json(&http, &srv, &path, "triage-bot").await;
    assert_eq!(by_agent.status(), StatusCode::FORBIDDEN);
    let denied: Value = admin_json(&http, &srv, &path, "dave")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&denied["status"], &denied["decided_by"]),
        (&json!("denied"), &json!("dave"))
    );
    // The operator's name is still checked against [operators].
    assert_eq!(
        admin("/halt", "mallory").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(admin("/halt", "carol").await.status(), StatusCode::OK);
    let tools = http
        .get(format!("{}/v1/tools", srv.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(tools.status(), StatusCode::FORBIDDEN);
    assert_eq!(admin("/resume", "carol").await.status(), StatusCode::OK);
    for (path, who) in [
        ("/agents/triage-bot/quarantine", "carol"),
        ("/agents/triage-bot/release", "carol"),
        ("/plugins/adversary/disable", "carol"),
        ("/plugins/adversary/enable", "carol"),
    ] {
        let r = admin(path, who).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.json::<Value>().await.unwrap()["changed"], true, "{path}");
    }
    let id = warrant::authz::TokenKey::from_file(
        &warrant::keys::read_key_file(&fx.path("state/keys/tokens.key")).unwrap(),
    )
    .unwrap()
    .decode(&token)
    .unwrap()
    .id;
    assert_eq!(
        admin_json(&http, &srv, &format!("/tokens/{id}/revoke"), "carol")
            .await
            .status(),
        StatusCode::OK
    );
    let r = http
        .get(format!("{}/v1/tools", srv.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let verified: Value = http
        .get(format!("{}/v1/admin/audit/verify", srv.base))
        .bearer_auth(&srv.admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verified["ok"], true, "{verified}");
    assert!(verified["records"].as_u64().unwrap() > 5);
    // The CLI keeps working beside the server, on the same state.
    assert!(fx.cli(&["halt", "--as", "carol"]).status.success());
    let r = http
        .get(format!("{}/v1/tools", srv.base))
        .bearer_auth(fx.token("intel-bot", "T", &[]).await)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

async fn admin_json(
    http: &reqwest::Client,
    srv: &Server,
    path: &str,
    who: &str,
) -> reqwest::Response {
    http.post(format!("{}/v1/admin{path}", srv.base))
        .bearer_auth(&srv.admin)
        .json(&json!({"as": who, "reason": "drill"}))
        .send()
        .await
        .unwrap()
}
