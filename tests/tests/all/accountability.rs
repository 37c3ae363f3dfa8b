//! Accountability: task tokens, agent grants, policy, approvals (decided
//! from a second process), rate limits, and the stop buttons — quarantine
//! and halt from another process cancelling a call in flight.

use serde_json::{Value, json};
use warrant::authz::{Refusal, TaskToken};
use warrant::{CallError, CallRequest, CallResponse, Host};
use warrant_tests::{Fixture, PluginSpec};

const SOC: &str = r#"
@id("baseline-permit")
permit (principal, action, resource);

@id("high-impact-needs-approval")
forbid (principal, action, resource) when { context.impact == "high" } unless { context.approved };

@id("case-note-only-for-incidents")
forbid (principal, action == Action::"case-note.append", resource) unless { context.task like "INC-*" };
"#;

pub(crate) async fn soc(wait: &str) -> Fixture {
    Fixture::builder()
        .plugin(PluginSpec::new("ioc-extract"))
        .plugin(PluginSpec::new("case-note").grants("files = [{ host = \"cases\", guest = \"/cases\", access = \"read-write\" }]"))
        .plugin(PluginSpec::new("adversary").limits("timeout = \"60s\""))
        .agent("triage-bot", &["ioc-extract.*", "case-note.append", "adversary.*"])
        .agent("intel-bot", &["ioc-extract.extract"])
        .agent_toml("[[agents]]\nid = \"slow-bot\"\nowner = \"o\"\nmodel = \"m\"\nmodel-owner = \"mo\"\ntools = [\"ioc-extract.*\"]\nrate = \"2/min\"\n")
        .policy(SOC)
        // An operator named like an agent (a mistake in a config) still
        // never approves that agent's calls.
        .operator("triage-bot", "[]", "[\"high\"]")
        .build()
        .await
        .with_wait(wait)
}

trait WithWait {
    fn with_wait(self, wait: &str) -> Self;
}

impl WithWait for Fixture {
    fn with_wait(self, wait: &str) -> Self {
        let cfg = std::fs::read_to_string(self.config_path()).unwrap();
        std::fs::write(
            self.config_path(),
            cfg.replace("wait = \"3s\"", &format!("wait = \"{wait}\"")),
        )
        .unwrap();
        self
    }
}

pub(crate) async fn call(host: &Host, token: &str, tool: &str, input: Value) -> CallResponse {
    host.call(CallRequest {
        token: token.into(),
        tool: tool.into(),
        input: input.into(),
        channel: "lib",
        ..CallRequest::default()
    })
    .await
}

/// Wait until this host has seen a change made by another process (its
/// watcher looks every 20 ms; calls read the stop state from memory).
pub(crate) async fn seen(
    host: &Host,
    what: &str,
    pred: impl Fn(&warrant::state::StopState) -> bool,
) {
    if let Err(e) = warrant_tests::stops_seen(host, pred).await {
        panic!("the host did not see {what}: {e}");
    }
}

pub(crate) fn refusal(r: &CallResponse) -> &Refusal {
    match &r.outcome {
        Err(CallError::Refused(x)) => x,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn tokens_are_checked_for_time_revocation_agent_and_scope() {
    let fx = soc("1s").await;
    let host = fx.host().await;
    let good = fx.token("triage-bot", "INC-2026-0100", &[]).await;
    assert!(
        call(
            &host,
            &good,
            "ioc-extract.extract",
            json!({"text": "1.2.3.4"})
        )
        .await
        .outcome
        .is_ok()
    );

    let (key, iss) = fx.token_signer();
    let now = chrono::Utc::now().timestamp();
    let mk = |nbf: i64, exp: i64| {
        key.encode(
            &TaskToken {
                id: format!("tok-test-{nbf}"),
                agent: "triage-bot".into(),
                task: "INC-1".into(),
                tools: vec!["ioc-extract.*".into()],
                iat: nbf,
                nbf,
                exp,
                by: Some("carol".into()),
                aud: None,
                via: None,
                cnf: None,
                kid: None,
            },
            &iss,
        )
    };
    let r = call(
        &host,
        &mk(now - 7200, now - 3600),
        "ioc-extract.extract",
        json!({"text": "x"}),
    )
    .await;
    assert!(
        matches!(refusal(&r), Refusal::TokenTime { why, .. } if why.starts_with("expired")),
        "{:?}",
        r.outcome
    );
    let r = call(
        &host,
        &mk(now + 3600, now + 7200),
        "ioc-extract.extract",
        json!({"text": "x"}),
    )
    .await;
    assert!(
        matches!(refusal(&r), Refusal::TokenTime { why, .. } if why.starts_with("not valid before")),
        "{:?}",
        r.outcome
    );
    // Within the clock-skew allowance a token just issued elsewhere works.
    assert!(
        call(
            &host,
            &mk(now + 10, now + 600),
            "ioc-extract.extract",
            json!({"text": "x"})
        )
        .await
        .outcome
        .is_ok()
    );

    // A token for one agent never works for another: the agent is signed.
    let mut parts = good.split('.');
    let (head, payload, sig) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: Value = serde_json::from_slice(&b64.decode(payload).unwrap()).unwrap();
    claims["sub"] = json!("intel-bot");
    claims["client_id"] = json!("intel-bot");
    let forged = format!("{head}.{}.{sig}", b64.encode(claims.to_string()));
    let r = call(&host, &forged, "ioc-extract.extract", json!({"text": "x"})).await;
    assert_eq!(refusal(&r).layer(), "token");
    assert!(
        refusal(&r)
            .to_string()
            .contains("signature does not verify"),
        "{:?}",
        r.outcome
    );
    // Nor does a token from another host's key, which no host here
    // published.
    let stranger = Fixture::builder()
        .agent("triage-bot", &["ioc-extract.*"])
        .build()
        .await;
    let foreign = stranger.token("triage-bot", "INC-1", &[]).await;
    let r = call(&host, &foreign, "ioc-extract.extract", json!({"text": "x"})).await;
    assert!(
        refusal(&r)
            .to_string()
            .contains("which no host of this fleet published"),
        "{:?}",
        r.outcome
    );

    // Out of scope: the token was issued for one tool only.
    let narrow = fx
        .token("triage-bot", "INC-2026-0100", &["ioc-extract.extract"])
        .await;
    let r = call(&host, &narrow, "adversary.echo", json!({"text": "x"})).await;
    assert_eq!(refusal(&r).layer(), "scope", "{:?}", r.outcome);
    // Beyond the agent's grant, no token is issued at all.
    let e = fx
        .token_as("carol", "intel-bot", "INC-1", &["case-note.append"], 60)
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("not granted case-note.append"),
        "{e}"
    );

    // Revoked from a second process.
    let out = fx.cli_as(
        "carol",
        &[
            "token",
            "revoke",
            claims["jti"].as_str().unwrap(),
            "--reason",
            "laptop stolen",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = claims["jti"].as_str().unwrap().to_owned();
    seen(&host, "the revocation", |s| s.tokens.contains_key(&id)).await;
    let r = call(&host, &good, "ioc-extract.extract", json!({"text": "x"})).await;
    assert!(
        matches!(refusal(&r), Refusal::Revoked { by, reason, .. } if by == "carol" && reason == "laptop stolen"),
        "{:?}",
        r.outcome
    );
    // No token at all.
    let r = call(&host, "", "ioc-extract.extract", json!({"text": "x"})).await;
    assert!(refusal(&r).to_string().contains("no task token presented"));
}

#[tokio::test]
async fn policy_denials_name_the_policy() {
    let fx = soc("1s").await;
    let host = fx.host().await;
    let t = fx.token("triage-bot", "chore-7", &[]).await;
    let r = call(
        &host,
        &t,
        "case-note.append",
        json!({"case_id": "C-1", "note": "x"}),
    )
    .await;
    let refusal = refusal(&r);
    assert_eq!(refusal.layer(), "policy");
    assert!(
        refusal
            .policies()
            .contains(&"case-note-only-for-incidents".to_string()),
        "{refusal}"
    );
    assert!(
        refusal.to_string().contains("case-note-only-for-incidents"),
        "{refusal}"
    );
}

#[tokio::test]
async fn rate_limits_name_the_limit() {
    let fx = soc("1s").await;
    let host = fx.host().await;
    let t = fx.token("slow-bot", "T-1", &[]).await;
    for _ in 0..2 {
        assert!(
            call(&host, &t, "ioc-extract.extract", json!({"text": "x"}))
                .await
                .outcome
                .is_ok()
        );
    }
    let r = call(&host, &t, "ioc-extract.extract", json!({"text": "x"})).await;
    assert_eq!(
        refusal(&r).to_string(),
        "rate limit: agent slow-bot is limited to 2/min"
    );
    // Another agent is not affected.
    let other = fx.token("intel-bot", "T-1", &[]).await;
    assert!(
        call(&host, &other, "ioc-extract.extract", json!({"text": "x"}))
            .await
            .outcome
            .is_ok()
    );
}
