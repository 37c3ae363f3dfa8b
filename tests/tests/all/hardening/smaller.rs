//! Findings 10 and 13: rate windows shared by every process on the state,
//! and the smaller ones — `token issue` needs the signer's `issue` role, the
//! maximum token lifetime holds when a token is used, the scope check comes
//! before the tool lookup, `GET /v1/calls/{id}` is indexed (and sees other
//! processes' records), limit errors name the budget, `/metrics` can need a
//! token, manifests can expire.

use serde_json::{Value, json};
use warrant::authz::{Refusal, TaskToken};
use warrant::manifest::{Manifest, sign};
use warrant::{CallError, CallFailure};
use warrant_tests::{Fixture, PluginSpec};

use super::{call, echo, still_serves_and_verifies};

async fn fixture(extra_agent: &str, config: &str) -> Fixture {
    let mut b = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .plugin(PluginSpec::new("ioc-extract"))
        .agent("bot", &["adversary.*", "ioc-extract.*"])
        .agent_toml(extra_agent);
    if !config.is_empty() {
        b = b.config(config);
    }
    b.build().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_windows_hold_across_processes() {
    let fx = fixture(
        "[[agents]]\nid = \"slow\"\nowner = \"o\"\nmodel = \"m\"\nmodel-owner = \"mo\"\ntools = [\"ioc-extract.*\"]\nrate = \"3/min\"\n",
        "",
    )
    .await;
    let t = fx.token("slow", "T-1", &[]).await;
    for i in 0..3 {
        let out = fx.cli(&[
            "call",
            "ioc-extract.extract",
            "--input",
            r#"{"text":"x"}"#,
            "--token",
            &t,
        ]);
        assert!(
            out.status.success(),
            "call {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = fx.cli(&[
        "call",
        "ioc-extract.extract",
        "--input",
        r#"{"text":"x"}"#,
        "--token",
        &t,
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("agent slow is limited to 3/min"),
        "{err}"
    );
    // A server on the same state counts the same window.
    let host = fx.host().await;
    let r = call(&host, &t, "ioc-extract.extract", r#"{"text":"x"}"#).await;
    assert!(
        matches!(&r.outcome, Err(CallError::Refused(Refusal::Rate(_)))),
        "{:?}",
        r.outcome
    );
    let other = fx.token("bot", "T-2", &[]).await;
    still_serves_and_verifies(&fx, &host, &other, "adversary.echo", echo()).await;
}

#[tokio::test]
async fn tokens_need_the_tokens_role_and_the_maximum_lifetime_holds_at_use() {
    let fx = fixture("", "").await;
    let out = fx.cli_as(
        "mallory",
        &["token", "issue", "--agent", "bot", "--task", "T-1"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("mallory may not issue"),
        "{err}"
    );
    let out = fx.cli_as(
        "carol",
        &["token", "issue", "--agent", "bot", "--task", "T-1"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Signed with the host's own key, but valid for ten years.
    let (key, iss) = fx.token_signer();
    let now = chrono::Utc::now().timestamp();
    let forever = key.encode(
        &TaskToken {
            id: "tok-forever".into(),
            agent: "bot".into(),
            task: "T-1".into(),
            tools: vec!["adversary.*".into()],
            iat: now,
            nbf: now,
            exp: now + 10 * 365 * 86_400,
            by: Some("carol".into()),
            aud: None,
            via: None,
            cnf: None,
            kid: None,
        },
        &iss,
    );
    let host = fx.host().await;
    let r = call(&host, &forever, "adversary.echo", r#"{"text":"x"}"#).await;
    assert!(
        matches!(&r.outcome, Err(CallError::Refused(Refusal::TokenTime { why, .. })) if why.contains("maximum token lifetime")),
        "{:?}",
        r.outcome
    );
    let t = fx.token("bot", "T-2", &[]).await;
    still_serves_and_verifies(&fx, &host, &t, "adversary.echo", echo()).await;
}

#[tokio::test]
async fn a_token_cannot_tell_a_missing_tool_from_one_outside_its_scope() {
    let fx = fixture("", "").await;
    let host = fx.host().await;
    let t = fx.token("bot", "T-1", &["adversary.echo"]).await;
    let exists = call(&host, &t, "ioc-extract.extract", "{}").await;
    let missing = call(&host, &t, "nope.nothing", "{}").await;
    let text = |r: &warrant::CallResponse| match &r.outcome {
        Err(CallError::Refused(r @ Refusal::Scope { .. })) => r.to_string(),
        other => panic!("expected a scope refusal, got {other:?}"),
    };
    assert_eq!(
        text(&exists).replace("ioc-extract.extract", "TOOL"),
        text(&missing).replace("nope.nothing", "TOOL")
    );
    still_serves_and_verifies(&fx, &host, &t, "adversary.echo", echo()).await;
}

#[tokio::test]
async fn a_hit_budget_is_named() {
    let fx = fixture("", "").await;
    let host = fx.host().await;
    let t = fx.token("bot", "T-1", &[]).await;
    let r = call(&host, &t, "adversary.random-bytes", r#"{"n": 100000}"#).await;
    match &r.outcome {
        Err(CallError::Failed(f @ CallFailure::Budget { .. })) => {
            assert!(f.to_string().contains("65536 random bytes"), "{f}")
        }
        other => panic!("expected a budget failure, got {other:?}"),
    }
    let ok = call(&host, &t, "adversary.random-bytes", r#"{"n": 64}"#).await;
    assert_eq!(ok.outcome.as_deref(), Ok("64"));
    still_serves_and_verifies(&fx, &host, &t, "adversary.echo", echo()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_need_a_token_and_call_records_come_from_an_index() {
    let fx = fixture("", "[api]\nmetrics-token-file = \"metrics.token\"").await;
    std::fs::write(fx.path("metrics.token"), "metrics-secret-0123456789\n").unwrap();
    let srv = crate::api::support::serve(&fx).await;
    let http = reqwest::Client::new();
    let m = |tok: Option<&str>| {
        let mut r = http.get(format!("{}/metrics", srv.base));
        if let Some(t) = tok {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    assert_eq!(m(None).await.unwrap().status(), 401);
    assert_eq!(m(Some("wrong")).await.unwrap().status(), 401);
    assert_eq!(
        m(Some("metrics-secret-0123456789")).await.unwrap().status(),
        200
    );
    // A call made by another process lands in the same chain; the server's
    // index finds it.
    let t = fx.token("bot", "T-1", &[]).await;
    let out = fx.cli(&[
        "call",
        "adversary.echo",
        "--input",
        r#"{"text":"x"}"#,
        "--token",
        &t,
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    let call_id = err
        .split("call ")
        .nth(1)
        .unwrap()
        .trim_end_matches([')', '\n'])
        .to_owned();
    let found: Value = http
        .get(format!("{}/v1/calls/{call_id}", srv.base))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["outcome"], "ok", "{found}");
    // Its one record (format 9).
    assert_eq!(found["records"].as_array().unwrap().len(), 1);
    let host = srv.host.clone();
    srv.running.shutdown().await.unwrap();
    drop(host);
}

#[tokio::test]
async fn a_manifest_can_expire_on_its_own() {
    let fx = fixture("", "").await;
    let path = fx.path("adversary.toml");
    let resign = |expires: &str| {
        let mut m = Manifest::from_toml_draft(&std::fs::read_to_string(&path).unwrap()).unwrap();
        m.plugin.expires = Some(expires.into());
        sign(&mut m, &fx.key.id, &fx.key.signing_key().unwrap());
        std::fs::write(&path, m.to_toml()).unwrap();
    };
    resign("2026-01-01T00:00:00Z");
    let host = fx.host().await;
    let r: Vec<String> = host
        .registry()
        .refusals()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        r.iter().any(|e| e.contains("expired at 2026-01-01")),
        "{r:?}"
    );
    host.shutdown("checked").await;
    resign("2099-01-01T00:00:00Z");
    let host = fx.host().await;
    assert!(host.registry().refusals().is_empty());
    let out = fx.cli(&["inspect", path.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("expires at 2099-01-01"));
    let t = fx.token("bot", "T-1", &[]).await;
    still_serves_and_verifies(&fx, &host, &t, "adversary.echo", json!({"text": "x"})).await;
}
