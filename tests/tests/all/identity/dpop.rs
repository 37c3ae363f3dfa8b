//! Sender-constrained tokens (DPoP, RFC 9449): a token exchanged with a
//! proof is bound to the client's key; every request presenting it needs a
//! fresh proof by that key, for that method and URL, with this server's
//! nonce. A stolen bound token alone is useless: without a proof, with a
//! proof for another method or URL, a replayed proof, a proof by another
//! key or a stale one — each is refused with RFC 9449's error and
//! recorded. An unbound token still works where the agent does not
//! require binding; an agent that does gets no unbound token.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Digest as _;
use warrant_tests::{Fixture, PluginSpec};

use super::{AUD, ISS, Jwks, Key, claims};
use crate::api::support::{records, serve};

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// A DPoP proof by `key` for `htm` `htu`, of `token`, with `nonce`, made
/// `age` seconds ago.
fn proof(
    key: &Key,
    htm: &str,
    htu: &str,
    token: Option<&str>,
    nonce: Option<&str>,
    age: i64,
) -> String {
    let mut c = json!({
        "jti": warrant::vocab::random_id("dpop", 12),
        "htm": htm,
        "htu": htu,
        "iat": chrono::Utc::now().timestamp() - age,
    });
    if let Some(t) = token {
        c["ath"] = json!(B64URL.encode(sha2::Sha256::digest(t.as_bytes())));
    }
    if let Some(n) = nonce {
        c["nonce"] = json!(n);
    }
    let mut jwk = key.jwk();
    jwk.as_object_mut().unwrap().remove("kid");
    key.sign(&c, &json!({"typ": "dpop+jwt", "jwk": jwk}))
}

async fn fixture(jwks: &Jwks) -> Fixture {
    Fixture::builder()
        .plugin(PluginSpec::new("ioc-extract"))
        .agent_toml("[[agents]]\nid = \"bot\"\nowner = \"alice@soc.example\"\nmodel = \"m\"\nmodel-owner = \"mo\"\ntools = [\"ioc-extract.*\"]\nworkload = [{ issuer = \"workloads\", subject = \"system:serviceaccount:soc:bot\" }]\n")
        .agent_toml("[[agents]]\nid = \"strict-bot\"\nowner = \"bob@soc.example\"\nmodel = \"m\"\nmodel-owner = \"mo\"\ntools = [\"ioc-extract.*\"]\nrequire-dpop = true\nworkload = [{ issuer = \"workloads\", subject = \"system:serviceaccount:soc:strict-bot\" }]\n")
        .config(&format!(
            "[[issuers]]\nid = \"workloads\"\nissuer = {ISS:?}\naudiences = [{AUD:?}]\njwks-url = {:?}\njwks-refresh = \"0s\"\nmax-lifetime = \"1h\"\n",
            jwks.url
        ))
        .build()
        .await
}

/// Exchange `sub`'s credential, with a proof by `dpop` if given.
async fn exchange(base: &str, idp: &Key, sub: &str, dpop: Option<&Key>) -> (StatusCode, Value) {
    let jwt = idp.sign(
        &claims(&format!("system:serviceaccount:soc:{sub}")),
        &json!({}),
    );
    let mut r = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            serde_urlencoded::to_string([
                ("grant_type", EXCHANGE),
                ("subject_token", jwt.as_str()),
                ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
                ("task", "INC-9449"),
            ])
            .unwrap(),
        );
    if let Some(k) = dpop {
        r = r.header(
            "dpop",
            proof(k, "POST", &format!("{base}/oauth/token"), None, None, 0),
        );
    }
    let r = r.send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// One call of `ioc-extract.extract` over HTTP/JSON: status, the
/// `WWW-Authenticate` and `DPoP-Nonce` headers.
async fn call(
    base: &str,
    scheme: &str,
    token: &str,
    dpop: Option<String>,
) -> (StatusCode, String, String) {
    let mut r = reqwest::Client::new()
        .post(format!("{base}/v1/tools/ioc-extract.extract/call"))
        .header("authorization", format!("{scheme} {token}"))
        .json(&json!({"input": {"text": "C2 at 198.51.100.77"}}));
    if let Some(p) = dpop {
        r = r.header("dpop", p);
    }
    let r = r.send().await.unwrap();
    let h = |n: &str| {
        r.headers()
            .get(n)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    (r.status(), h("www-authenticate"), h("dpop-nonce"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bound_token_works_only_with_fresh_proofs_by_its_key() {
    let idp = Key::new("idp-1");
    let jwks = Jwks::start(&[&idp]).await;
    let fx = fixture(&jwks).await;
    let srv = serve(&fx).await;
    let base = srv.base.clone();
    let client = Key::new("client-key");
    let thief = Key::new("thief-key");

    // The metadata says what DPoP the server takes.
    let prm: Value = reqwest::get(format!("{base}/.well-known/oauth-protected-resource/mcp"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        prm["dpop_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("EdDSA"))
    );
    assert_eq!(
        prm["dpop_bound_access_tokens_required"], false,
        "only strict-bot requires it"
    );

    // Exchanged with a proof: a DPoP token bound to the client's key.
    let (s, x) = exchange(&base, &idp, "bot", Some(&client)).await;
    assert_eq!(s, StatusCode::OK, "{x}");
    assert_eq!(x["token_type"], "DPoP");
    let token = x["access_token"].as_str().unwrap().to_owned();
    let url = format!("{base}/v1/tools/ioc-extract.extract/call");

    // The first proof gets a nonce to use (RFC 9449 §8), then it works.
    let (s, challenge, nonce) = call(
        &base,
        "DPoP",
        &token,
        Some(proof(&client, "POST", &url, Some(&token), None, 0)),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(challenge.contains("use_dpop_nonce"), "{challenge}");
    assert!(!nonce.is_empty());
    let good = proof(&client, "POST", &url, Some(&token), Some(&nonce), 0);
    let (s, _, _) = call(&base, "DPoP", &token, Some(good.clone())).await;
    assert_eq!(s, StatusCode::OK);

    // Each way a stolen or misused token comes: refused with the RFC's error.
    let n = Some(nonce.as_str());
    for (what, scheme, dpop, error) in [
        ("no proof", "Bearer", None, "invalid_token"),
        ("no proof, DPoP scheme", "DPoP", None, "invalid_dpop_proof"),
        (
            "another method",
            "DPoP",
            Some(proof(&client, "GET", &url, Some(&token), n, 0)),
            "invalid_dpop_proof",
        ),
        (
            "another URL",
            "DPoP",
            Some(proof(
                &client,
                "POST",
                &format!("{base}/v1/tools"),
                Some(&token),
                n,
                0,
            )),
            "invalid_dpop_proof",
        ),
        ("a replayed proof", "DPoP", Some(good), "invalid_dpop_proof"),
        (
            "another key",
            "DPoP",
            Some(proof(&thief, "POST", &url, Some(&token), n, 0)),
            "invalid_token",
        ),
        (
            "a stale iat",
            "DPoP",
            Some(proof(&client, "POST", &url, Some(&token), n, 600)),
            "invalid_dpop_proof",
        ),
        (
            "another token's hash",
            "DPoP",
            Some(proof(&client, "POST", &url, Some("other"), n, 0)),
            "invalid_dpop_proof",
        ),
    ] {
        let (s, challenge, _) = call(&base, scheme, &token, dpop).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{what}");
        assert!(
            challenge.starts_with("DPoP ") && challenge.contains(&format!("error=\"{error}\"")),
            "{what}: {challenge}"
        );
    }
    // …and recorded, each, like any refused call.
    let refused = records(&fx)
        .into_iter()
        .filter(|r| {
            r.kind == "call"
                && r.data["decision"]["layer"] == "token"
                && r.data["decision"]["reason"]
                    .as_str()
                    .is_some_and(|w| w.contains("DPoP"))
        })
        .count();
    assert!(refused >= 8, "{refused} DPoP refusals recorded");

    // Over MCP the same: a bound token without a proof is useless.
    let r = reqwest::Client::new()
        .post(format!("{base}/mcp"))
        .header("authorization", format!("Bearer {token}"))
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": "ioc-extract__extract", "arguments": {"text": "x"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("DPoP ")
    );

    // An unbound token still works for an agent that does not require binding.
    let (s, x) = exchange(&base, &idp, "bot", None).await;
    assert_eq!((s, &x["token_type"]), (StatusCode::OK, &json!("Bearer")));
    let plain = x["access_token"].as_str().unwrap();
    assert_eq!(call(&base, "Bearer", plain, None).await.0, StatusCode::OK);

    // An agent that requires binding gets no unbound token, and its
    // operator-issued (unbound) token is refused.
    let (s, x) = exchange(&base, &idp, "strict-bot", None).await;
    assert_eq!(
        (s, &x["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_dpop_proof")),
        "{x}"
    );
    let issued = fx.token("strict-bot", "INC-9449", &[]).await;
    let (s, challenge, _) = call(&base, "Bearer", &issued, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(challenge.contains("requires DPoP"), "{challenge}");
    let (s, x) = exchange(&base, &idp, "strict-bot", Some(&client)).await;
    assert_eq!(s, StatusCode::OK, "{x}");
    srv.running.shutdown().await.unwrap();
}
