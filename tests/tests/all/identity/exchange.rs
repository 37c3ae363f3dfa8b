//! Exchanging workload credentials: the good one works and the chain names
//! it; every bad one is refused with its reason, recorded, and leaves the
//! host serving.

use serde_json::{Value, json};
use warrant::authz::ExchangeRequest;
use warrant::operator::Stop;
use warrant::{CallRequest, Host};

use super::{Jwks, Key, claims, fixture, unsigned};
use crate::api::support::records;

fn request<'a>(token: &'a str, tools: &[&str]) -> ExchangeRequest<'a> {
    ExchangeRequest {
        subject_token: token,
        task: "INC-7",
        tools: tools.iter().map(|s| (*s).to_owned()).collect(),
        ttl: None,
        resource: None,
        dpop_jkt: None,
    }
}

async fn call(host: &Host, token: &str) -> warrant::CallResponse {
    call_tool(host, token, "ioc-extract.extract").await
}

/// Call `tool` with a small input.
pub(crate) async fn call_tool(host: &Host, token: &str, tool: &str) -> warrant::CallResponse {
    host.call(CallRequest {
        token: token.into(),
        tool: tool.into(),
        input: json!({"text": "203.0.113.9"}).into(),
        channel: "lib",
        ..CallRequest::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workload_credential_becomes_a_task_token_and_the_chain_names_it() {
    let k1 = Key::new("k1");
    let jwks = Jwks::start(&[&k1]).await;
    let fx = fixture(&jwks, "").await;
    let host = fx.host().await;
    let jwt = k1.sign(&claims("system:serviceaccount:soc:bot"), &json!({}));
    let x = host
        .exchange(&request(&jwt, &["ioc-extract.*"]), "lib")
        .await
        .unwrap();
    assert_eq!(
        (x.claims.agent.as_str(), x.claims.task.as_str()),
        ("bot", "INC-7")
    );
    assert_eq!(x.claims.tools, vec!["ioc-extract.*"]);
    assert!(
        x.claims.exp - x.claims.iat <= 600,
        "within the credential's own life"
    );
    let r = call(&host, &x.token).await;
    assert!(r.outcome.is_ok(), "{:?}", r.outcome);
    host.shutdown("done").await;
    let recs = records(&fx);
    let exchanged = recs.iter().find(|r| r.kind == "token.exchanged").unwrap();
    assert_eq!(
        exchanged.data["credential"]["subject"],
        "system:serviceaccount:soc:bot"
    );
    assert_eq!(exchanged.data["credential"]["issuer"], "workloads");
    assert!(
        exchanged.data["credential"]["id"]
            .as_str()
            .unwrap()
            .starts_with("jti-")
    );
    assert!(
        !exchanged.data.to_string().contains(&jwt),
        "the credential itself is never recorded"
    );
    let decided = recs.iter().find(|r| r.kind == "call").unwrap();
    assert_eq!(
        decided.data["credential"], exchanged.data["credential"],
        "{decided:?}"
    );
    let story =
        String::from_utf8_lossy(&fx.cli(&["audit", "show", "--task", "INC-7"]).stdout).into_owned();
    assert!(
        story.contains("EXCHANGE") && story.contains("for workload system:serviceaccount:soc:bot"),
        "{story}"
    );
    assert!(fx.cli(&["audit", "verify"]).status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_credential_is_refused_recorded_and_the_host_keeps_serving() {
    let (k1, k2) = (Key::new("k1"), Key::new("k2"));
    let jwks = Jwks::start(&[&k1]).await;
    let fx = fixture(&jwks, "").await;
    let host = fx.host().await;
    let now = chrono::Utc::now().timestamp();
    let bot = "system:serviceaccount:soc:bot";
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = claims(bot);
        f(&mut c);
        c
    };
    // Another key claiming k1's kid.
    let forged = {
        let mut other = Key::new("not-k1");
        other.kid = "k1".into();
        other.sign(&claims(bot), &json!({}))
    };
    let replayed = k1.sign(&claims(bot), &json!({}));
    host.exchange(&request(&replayed, &[]), "lib")
        .await
        .unwrap();
    let cases: Vec<(&str, String, &[&str], &str, &str)> = vec![
        (
            "wrong issuer",
            k1.sign(
                &with(&|c| c["iss"] = json!("https://evil.test")),
                &json!({}),
            ),
            &[],
            "invalid_grant",
            "no [[issuers]] entry has the issuer \"https://evil.test\"",
        ),
        (
            "wrong audience",
            k1.sign(&with(&|c| c["aud"] = json!("another-service")), &json!({})),
            &[],
            "invalid_grant",
            "its audience \"another-service\" is not warrant",
        ),
        (
            "expired",
            k1.sign(
                &with(&|c| {
                    c["iat"] = json!(now - 1200);
                    c["nbf"] = json!(now - 1200);
                    c["exp"] = json!(now - 600);
                }),
                &json!({}),
            ),
            &[],
            "invalid_grant",
            "expired",
        ),
        (
            "not yet valid",
            k1.sign(&with(&|c| c["nbf"] = json!(now + 900)), &json!({})),
            &[],
            "invalid_grant",
            "not valid yet",
        ),
        (
            "lifetime over the maximum",
            k1.sign(&with(&|c| c["exp"] = json!(now + 7200)), &json!({})),
            &[],
            "invalid_grant",
            "longer than issuer workloads's max-lifetime",
        ),
        (
            "alg none",
            unsigned(&claims(bot)),
            &[],
            "invalid_grant",
            "alg none",
        ),
        (
            "HS256 with the issuer's public key",
            k1.forge_hs256(&claims(bot)),
            &[],
            "invalid_grant",
            "HMAC algorithm",
        ),
        (
            "a key the issuer never published",
            forged,
            &[],
            "invalid_grant",
            "signature does not verify",
        ),
        (
            "unknown kid",
            k2.sign(&claims(bot), &json!({})),
            &[],
            "invalid_grant",
            "no key id \"k2\"",
        ),
        (
            "a subject that is no agent",
            k1.sign(&claims("system:serviceaccount:soc:intruder"), &json!({})),
            &[],
            "invalid_grant",
            "is no agent here",
        ),
        (
            "another agent's subject, asking for this agent's tools",
            k1.sign(&claims("system:serviceaccount:soc:other-bot"), &json!({})),
            &["adversary.echo"],
            "invalid_scope",
            "agent other-bot is not granted adversary.echo",
        ),
        (
            "a replayed jti",
            replayed.clone(),
            &[],
            "invalid_grant",
            "was exchanged before",
        ),
        (
            "a scope beyond the grant",
            k1.sign(&claims(bot), &json!({})),
            &["case-note.append"],
            "invalid_scope",
            "not granted case-note.append",
        ),
        (
            "not a JWT",
            "wt1.abc".into(),
            &[],
            "invalid_grant",
            "not a JWT",
        ),
    ];
    let before = records(&fx).len();
    for (i, (what, jwt, tools, code, says)) in cases.iter().enumerate() {
        let e = host
            .exchange(&request(jwt, tools), "lib")
            .await
            .unwrap_err();
        assert_eq!(e.code, *code, "{what}: {e}");
        assert!(e.reason.contains(says), "{what}: {}", e.reason);
        let recs = records(&fx);
        assert_eq!(recs.len(), before + i + 1, "{what}: one record");
        let last = recs.last().unwrap();
        assert_eq!(last.kind, "token.exchange-refused", "{what}");
        assert_eq!(last.data["error"], *code);
        assert!(
            last.data["credential_digest"]
                .as_str()
                .unwrap()
                .starts_with("sha256:")
        );
    }
    // A rotation publishes k2: its token is accepted now (the keys are
    // fetched again for an unknown kid).
    jwks.add(&k2);
    let rotated = k2.sign(&claims(bot), &json!({}));
    let x = host.exchange(&request(&rotated, &[]), "lib").await.unwrap();
    assert!(call(&host, &x.token).await.outcome.is_ok());
    // A quarantined agent gets no token.
    fx.stop("carol", &Stop::Quarantine("bot".into()), "drill")
        .await
        .unwrap();
    let e = host
        .exchange(&request(&k1.sign(&claims(bot), &json!({})), &[]), "lib")
        .await
        .unwrap_err();
    assert!(e.reason.contains("quarantined"), "{e}");
    fx.stop("carol", &Stop::Release("bot".into()), "drill over")
        .await
        .unwrap();
    let x = host
        .exchange(&request(&k1.sign(&claims(bot), &json!({})), &[]), "lib")
        .await
        .unwrap();
    assert!(call(&host, &x.token).await.outcome.is_ok(), "still serving");
    host.shutdown("done").await;
    assert!(fx.cli(&["audit", "verify"]).status.success());
    // The same from a shell.
    let file = fx.path("credential.jwt");
    std::fs::write(&file, k1.sign(&claims(bot), &json!({}))).unwrap();
    let out = fx.cli(&[
        "token",
        "exchange",
        "--subject-token",
        file.to_str().unwrap(),
        "--task",
        "INC-8",
    ]);
    assert!(out.status.success(), "{out:?}");
    let issued = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        warrant::authz::warrant_kid(&issued).is_some(),
        "a task token of this host: {issued}"
    );
    let out = fx.cli(&[
        "token",
        "exchange",
        "--subject-token",
        file.to_str().unwrap(),
        "--task",
        "INC-8",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("exchanged before"),
        "{err}"
    );
}
