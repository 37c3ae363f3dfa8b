//! Step-up: a call of a tool the token's scope lacks is answered 403 with
//! `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"` naming
//! the scope it needs (over MCP and HTTP/JSON alike), and recorded; a token
//! exchanged for exactly that scope then makes the call.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Jwks, Key, claims, fixture};
use crate::api::support::{records, serve};

async fn exchange(base: &str, idp: &Key, scope: &str) -> String {
    let jwt = idp.sign(&claims("system:serviceaccount:soc:bot"), &json!({}));
    let r: Value = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            serde_urlencoded::to_string([
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:token-exchange",
                ),
                ("subject_token", jwt.as_str()),
                ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
                ("task", "INC-STEP-1"),
                ("scope", scope),
            ])
            .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned()
}

/// A 2026-07-28 `tools/call` of `adversary__echo`: status and challenge.
async fn echo(base: &str, token: &str) -> (StatusCode, String, Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", "adversary__echo")
        .json(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "adversary__echo", "arguments": {"text": "hi"},
            "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                      "io.modelcontextprotocol/clientCapabilities": {}}}}),
        )
        .send()
        .await
        .unwrap();
    let status = r.status();
    let challenge = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = r.text().await.unwrap();
    let body = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .find(|l| !l.trim().is_empty())
        .unwrap_or(&text);
    (
        status,
        challenge,
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_scope_is_403_naming_it_and_a_token_for_it_succeeds() {
    let idp = Key::new("idp-step");
    let jwks = Jwks::start(&[&idp]).await;
    let fx = fixture(&jwks, "").await;
    let srv = serve(&fx).await;
    let narrow = exchange(&srv.base, &idp, "ioc-extract.extract").await;

    let (status, challenge, _) = echo(&srv.base, &narrow).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        challenge.starts_with("Bearer error=\"insufficient_scope\"")
            && challenge.contains("scope=\"adversary.echo\""),
        "{challenge}"
    );
    // The same over HTTP/JSON.
    let r = reqwest::Client::new()
        .post(format!("{}/v1/tools/adversary.echo/call", srv.base))
        .bearer_auth(&narrow)
        .json(&json!({"input": {"text": "hi"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("scope=\"adversary.echo\"")
    );
    // Both refusals are in the chain.
    let scoped = records(&fx)
        .into_iter()
        .filter(|r| r.kind == "call.decided" && r.data["decision"]["layer"] == "scope")
        .count();
    assert_eq!(scoped, 2);

    // A token for exactly the scope the challenge named makes the call.
    let scope = challenge
        .split("scope=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let stepped = exchange(&srv.base, &idp, scope).await;
    let (status, _, body) = echo(&srv.base, &stepped).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["result"]["isError"], false, "{body}");
    srv.running.shutdown().await.unwrap();
}
