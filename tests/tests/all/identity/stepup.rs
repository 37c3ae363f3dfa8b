//! Step-up: a call of a tool the token's scope lacks is answered 403 with
//! `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"` naming
//! the scope it needs (over MCP and HTTP/JSON alike), and recorded; a token
//! exchanged for exactly that scope then makes the call.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Jwks, Key, claims, fixture, fixture_under};
use crate::api::support::{records, serve};

async fn exchange(base: &str, idp: &Key, scope: &str) -> String {
    let r = exchange_answer(base, idp, scope).await;
    r["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned()
}

/// The token endpoint's answer to an exchange for `scope`.
async fn exchange_answer(base: &str, idp: &Key, scope: &str) -> Value {
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
    r
}

/// A 2026-07-28 `tools/call` of `adversary__echo`: status and challenge.
async fn echo(base: &str, token: &str) -> (StatusCode, String, Value) {
    echo_text(base, token, "hi").await
}

/// [`echo`] of `text`.
async fn echo_text(base: &str, token: &str, text: &str) -> (StatusCode, String, Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", "adversary__echo")
        .json(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "adversary__echo", "arguments": {"text": text},
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
        .filter(|r| r.kind == "call" && r.data["decision"]["layer"] == "scope")
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

/// A step-up rule: `adversary.echo` of a text with a `!` needs the scope
/// `loud`, which policy derives from the arguments.
const LOUD: &str = r#"
@id("permit-all")
permit (principal, action, resource);

@id("loud-needs-step-up")
@scope("loud")
forbid (principal, action == Action::"adversary.echo", resource)
  when { context.args has text && context.args.text like "*!*" }
  unless { context.scopes.contains("loud") };
"#;

fn scope_of(challenge: &str) -> &str {
    challenge
        .split("scope=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_policy_derives_from_the_arguments_is_named_and_a_token_with_it_succeeds() {
    let idp = Key::new("idp-step-derived");
    let jwks = Jwks::start(&[&idp]).await;
    let fx = fixture_under(&jwks, "", LOUD).await;
    let srv = serve(&fx).await;
    let plain = exchange(&srv.base, &idp, "adversary.echo").await;

    // Allowed: the arguments ask for nothing more.
    let (status, _, body) = echo_text(&srv.base, &plain, "hi").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["result"]["isError"], false, "{body}");

    // Denied for want of the derived scope: 403 naming every scope the
    // call needs, over MCP and over HTTP/JSON.
    let (status, challenge, _) = echo_text(&srv.base, &plain, "hi!").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        challenge.starts_with("Bearer error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert_eq!(scope_of(&challenge), "adversary.echo loud", "{challenge}");
    let r = reqwest::Client::new()
        .post(format!("{}/v1/tools/adversary.echo/call", srv.base))
        .bearer_auth(&plain)
        .json(&json!({"input": {"text": "hi!"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let http = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert_eq!(scope_of(&http), "adversary.echo loud", "{http}");
    // Both refusals are recorded as the policy's, naming the scope.
    let refused: Vec<_> = records(&fx)
        .into_iter()
        .filter(|r| {
            r.kind == "call"
                && r.data["decision"]["layer"] == "policy"
                && r.data["decision"]["result"] == "deny"
        })
        .collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    for r in &refused {
        assert_eq!(
            r.data["decision"]["policies"],
            json!(["loud-needs-step-up"]),
            "{:?}",
            r.data
        );
        assert!(
            r.data["decision"]["reason"]
                .as_str()
                .unwrap()
                .contains("lacks the step-up scope loud"),
            "{:?}",
            r.data
        );
    }

    // The metadata lists the step-up scope; a token for what the
    // challenge named makes the call.
    let meta: Value = reqwest::get(format!(
        "{}/.well-known/oauth-protected-resource/mcp",
        srv.base
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(
        meta["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("loud")),
        "{meta}"
    );
    let stepped = exchange(&srv.base, &idp, scope_of(&challenge)).await;
    let (status, _, body) = echo_text(&srv.base, &stepped, "hi!").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["result"]["isError"], false, "{body}");

    // A scope no policy names is not granted.
    let r = exchange_answer(&srv.base, &idp, "adversary.echo shout").await;
    assert_eq!(r["error"], "invalid_scope", "{r}");
    assert!(
        r["error_description"].as_str().unwrap().contains("loud"),
        "{r}"
    );
    srv.running.shutdown().await.unwrap();
}
