//! `/mcp` as an OAuth resource server: 401 challenges that send a client to
//! the metadata, the metadata documents, the token endpoint, and access
//! tokens of the organisation's authorization server accepted as they are.

use reqwest::StatusCode;
use serde_json::{Value, json};
use warrant::authz::TaskToken;
use warrant::operator::Stop;

use super::{Jwks, Key, claims, fixture};
use crate::api::support::{records, serve};

const INIT: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;

async fn mcp(base: &str, token: Option<&str>, host: Option<&str>) -> reqwest::Response {
    let mut r = reqwest::Client::new()
        .post(format!("{base}/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(INIT);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(h) = host {
        r = r.header("host", h);
    }
    r.send().await.unwrap()
}

fn refusal(r: &warrant::CallResponse) -> String {
    r.outcome
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default()
}

fn challenge(r: &reqwest::Response) -> String {
    r.headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

async fn exchange(base: &str, form: &[(&str, &str)]) -> (StatusCode, Value, Option<String>) {
    let r = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap();
    let cache = r
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_owned());
    (r.status(), r.json().await.unwrap_or(Value::Null), cache)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_challenges_every_unaccepted_credential_and_serves_its_metadata() {
    let k1 = Key::new("k1");
    let jwks = Jwks::start(&[&k1]).await;
    let fx = fixture(&jwks, "").await;
    let srv = serve(&fx).await;
    let base = srv.base.clone();
    let metadata =
        format!("Bearer resource_metadata=\"{base}/.well-known/oauth-protected-resource/mcp\"");
    // No credential: a challenge without an error code (RFC 6750 §3.1),
    // naming the scopes the request needs.
    let r = mcp(&base, None, None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&r),
        format!("{metadata}, scope=\"adversary.* ioc-extract.*\"")
    );
    // A bad, an expired and a revoked one: invalid_token, saying why.
    let (key, iss) = fx.token_signer();
    let now = chrono::Utc::now().timestamp();
    let expired = key.encode(
        &TaskToken {
            id: "tok-expired".into(),
            agent: "bot".into(),
            task: "T".into(),
            tools: vec!["ioc-extract.*".into()],
            iat: now - 7200,
            nbf: now - 7200,
            exp: now - 3600,
            by: None,
            aud: None,
            via: None,
            cnf: None,
            kid: None,
        },
        &iss,
    );
    let (revoked, claims_of) = fx.token_as("carol", "bot", "T-1", &[], 600).await.unwrap();
    fx.stop("carol", &Stop::Revoke(claims_of.id.clone()), "lost")
        .await
        .unwrap();
    for (what, token, says) in [
        ("bad", "wt1.bogus.token", "invalid_token"),
        ("expired", expired.as_str(), "expired"),
        ("revoked", revoked.as_str(), "revoked"),
    ] {
        let r = mcp(&base, Some(token), None).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{what}");
        let c = challenge(&r);
        assert!(
            c.starts_with(&metadata) && c.contains("error=\"invalid_token\"") && c.contains(says),
            "{what}: {c}"
        );
    }
    let ok = fx.token("bot", "T-2", &[]).await;
    assert_eq!(mcp(&base, Some(&ok), None).await.status(), StatusCode::OK);
    // A tools/call with an altered token: the same challenge, and the
    // refusal recorded in the story of the task it claimed.
    let (head, sig) = ok.rsplit_once('.').unwrap();
    let forged = format!(
        "{head}.{}{}",
        if sig.starts_with('A') { 'B' } else { 'A' },
        &sig[1..]
    );
    let call = r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"ioc-extract__extract","arguments":{"text":"x"}}}"#;
    let r = reqwest::Client::new()
        .post(format!("{base}/mcp"))
        .bearer_auth(&forged)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .body(call)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let claimed = loop {
        let found = records(&fx)
            .into_iter()
            .find(|r| r.data["claimed"]["task"] == "T-2");
        if let Some(r) = found {
            break r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(claimed.kind, "call");
    assert!(claimed.data.get("task").is_none(), "{}", claimed.data);
    assert_eq!(claimed.data["decision"]["layer"], "token");

    // The metadata a client follows from the challenge.
    let http = reqwest::Client::new();
    let prm: Value = http
        .get(format!("{base}/.well-known/oauth-protected-resource/mcp"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(prm["resource"], format!("{base}/mcp"));
    assert_eq!(prm["authorization_servers"], json!([base]));
    assert_eq!(prm["bearer_methods_supported"], json!(["header"]));
    let scopes = prm["scopes_supported"].as_array().unwrap();
    for s in [
        "adversary.*",
        "adversary.echo",
        "ioc-extract.*",
        "ioc-extract.extract",
    ] {
        assert!(scopes.contains(&json!(s)), "{s}: {prm}");
    }
    // The origin's own metadata names the origin (RFC 9728 §3.3).
    let root: Value = http
        .get(format!("{base}/.well-known/oauth-protected-resource"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(root["resource"], base);
    let asm: Value = http
        .get(format!("{base}/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(asm["issuer"], base);
    assert_eq!(asm["token_endpoint"], format!("{base}/oauth/token"));
    assert_eq!(
        asm["grant_types_supported"],
        json!(["urn:ietf:params:oauth:grant-type:token-exchange"])
    );
    // What it is: a token endpoint, no authorization endpoint.
    assert!(asm.get("authorization_endpoint").is_none(), "{asm}");
    assert_eq!(asm["response_types_supported"], json!([]));

    // The token endpoint (RFC 8693).
    let jwt = k1.sign(&claims("system:serviceaccount:soc:bot"), &json!({}));
    let good = [
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token", jwt.as_str()),
        ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
        ("task", "INC-11"),
        ("scope", "ioc-extract.extract"),
    ];
    let (s, body, _) = exchange(&base, &[("grant_type", "password"), ("username", "x")]).await;
    assert_eq!(
        (s, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("unsupported_grant_type"))
    );
    // No grant type at all is a malformed request (RFC 6749 §5.2).
    let (s, body, _) = exchange(&base, &[("subject_token", "x")]).await;
    assert_eq!(
        (s, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_request"))
    );
    let mut twice = good.to_vec();
    twice.push(("task", "INC-12"));
    let (s, body, _) = exchange(&base, &twice).await;
    assert_eq!(
        (s, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_request")),
        "{body}"
    );
    let (_, body, _) = exchange(
        &base,
        &good[..4]
            .iter()
            .filter(|(k, _)| *k != "task")
            .copied()
            .collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(body["error"], "invalid_request");
    let mut elsewhere = good.to_vec();
    elsewhere.push(("resource", "https://other.example/mcp"));
    let (_, body, _) = exchange(&base, &elsewhere).await;
    assert_eq!(body["error"], "invalid_target", "{body}");
    let (s, body, cache) = exchange(&base, &good).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(cache.as_deref(), Some("no-store"));
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    assert_eq!(body["scope"], "ioc-extract.extract");
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    let task_token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        mcp(&base, Some(&task_token), None).await.status(),
        StatusCode::OK
    );
    // Its audience is this resource as the agent reached it: presented
    // under another name of the host, it is for another resource.
    let port = base.rsplit(':').next().unwrap();
    let r = mcp(&base, Some(&task_token), Some(&format!("localhost:{port}"))).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        challenge(&r).contains("not this resource"),
        "{}",
        challenge(&r)
    );
    // The same credential again: replayed.
    let (_, body, _) = exchange(&base, &good).await;
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("exchanged before")
    );
    srv.running.shutdown().await.unwrap();
    srv.host.shutdown("done").await;
    let kinds: Vec<String> = records(&fx).into_iter().map(|r| r.kind).collect();
    assert!(
        kinds.contains(&"token.exchanged".to_owned())
            && kinds.contains(&"token.exchange-refused".to_owned())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_tokens_of_the_organisations_server_are_accepted_like_task_tokens() {
    const RESOURCE: &str = "https://warrant.test/mcp";
    let k1 = Key::new("k1");
    let jwks = Jwks::start(&[&k1]).await;
    let fx = fixture(
        &jwks,
        &format!("access-tokens = true\n\n[api]\nresource = {RESOURCE:?}\n"),
    )
    .await;
    let at = |f: &dyn Fn(&mut Value), typ: &str| {
        let mut c = claims("system:serviceaccount:soc:bot");
        c["aud"] = json!(RESOURCE);
        c["warrant_task"] = json!("INC-9");
        c["scope"] = json!("openid ioc-extract.extract");
        f(&mut c);
        k1.sign(&c, &json!({"typ": typ}))
    };
    let host = fx.host().await;
    let good = at(&|_| {}, "at+jwt");
    let r = super::exchange::call_tool(&host, &good, "ioc-extract.extract").await;
    assert!(r.outcome.is_ok(), "{:?}", r.outcome);
    let r = super::exchange::call_tool(&host, &good, "adversary.echo").await;
    assert!(refusal(&r).contains("outside the scope"), "{:?}", r.outcome);
    for (what, token, says) in [
        ("not typed at+jwt", at(&|_| {}, "JWT"), "typ at+jwt"),
        (
            "a workload credential's audience",
            at(&|c| c["aud"] = json!("warrant"), "at+jwt"),
            "its audience",
        ),
        (
            "no task",
            at(
                &|c| {
                    c.as_object_mut().unwrap().remove("warrant_task");
                },
                "at+jwt",
            ),
            "no `warrant_task` claim",
        ),
        (
            "no agent",
            at(&|c| c["sub"] = json!("someone"), "at+jwt"),
            "is no agent here",
        ),
    ] {
        let r = super::exchange::call_tool(&host, &token, "ioc-extract.extract").await;
        assert!(refusal(&r).contains(says), "{what}: {:?}", r.outcome);
    }
    // Revoked by its jti, like a task token by its id.
    let jti = good
        .split('.')
        .nth(1)
        .map(|p| {
            use base64::Engine as _;
            let v: Value = serde_json::from_slice(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(p)
                    .unwrap(),
            )
            .unwrap();
            v["jti"].as_str().unwrap().to_owned()
        })
        .unwrap();
    let srv = serve(&fx).await;
    assert_eq!(
        mcp(&srv.base, Some(&good), None).await.status(),
        StatusCode::OK
    );
    let prm: Value = reqwest::get(format!(
        "{}/.well-known/oauth-protected-resource/mcp",
        srv.base
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(prm["resource"], RESOURCE);
    // The organisation's authorization server first: a client that can
    // use it must not pick warrant's workload exchange.
    assert_eq!(prm["authorization_servers"], json!([super::ISS, srv.base]));
    fx.stop("carol", &Stop::Revoke(jti), "token leaked")
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let r = mcp(&srv.base, Some(&good), None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge(&r).contains("revoked"));
    srv.running.shutdown().await.unwrap();
    host.shutdown("done").await;
    let decided = records(&fx).into_iter().find(|r| r.kind == "call").unwrap();
    assert_eq!(decided.data["credential"]["kind"], "access-token");
    assert_eq!(decided.data["task"], "INC-9");
}
