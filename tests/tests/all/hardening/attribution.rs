//! Finding 8: every record carries every field known at that point —
//! refusals for expired and revoked tokens and for unknown agents name the
//! token, agent and task; a refused plugin is named with its digests and
//! signer; every call record names the digest of the signed manifest whose
//! grants were in force.

use warrant::authz::TaskToken;
use warrant_tests::{Fixture, PluginSpec};

use super::{call, echo, records, still_serves_and_verifies};

fn decided<'a>(recs: &'a [warrant::audit::Record], call_id: &str) -> &'a warrant::audit::Record {
    recs.iter()
        .find(|r| r.kind == "call" && r.str("call_id") == Some(call_id))
        .unwrap_or_else(|| panic!("no decision for {call_id}"))
}

#[tokio::test]
async fn refusals_are_attributed_like_allowed_calls() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"])
        .agent("ghost", &["adversary.*"])
        .build()
        .await;
    let t = fx.token("bot", "T-1", &[]).await;
    let ghost = fx.token("ghost", "T-9", &[]).await;
    let (key, iss) = fx.token_signer();
    let now = chrono::Utc::now().timestamp();
    let expired = key.encode(
        &TaskToken {
            id: "tok-expired-1".into(),
            agent: "bot".into(),
            task: "T-2".into(),
            tools: vec!["adversary.*".into()],
            iat: now - 600,
            nbf: now - 600,
            exp: now - 300,
            by: Some("carol".into()),
            aud: None,
            via: None,
            cnf: None,
            kid: None,
        },
        &iss,
    );
    // The agent `ghost` leaves the config; its token stays in circulation.
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    let cut = cfg.find("[[agents]]\nid = \"ghost\"").unwrap();
    let end = cut + cfg[cut..].find("\n\n").unwrap();
    std::fs::write(fx.config_path(), format!("{}{}", &cfg[..cut], &cfg[end..])).unwrap();
    let host = fx.host().await;
    let ok = call(&host, &t, "adversary.echo", r#"{"text":"x"}"#).await;
    let exp = call(&host, &expired, "adversary.echo", r#"{"text":"x"}"#).await;
    let gone = call(&host, &ghost, "adversary.echo", r#"{"text":"x"}"#).await;
    let claims = host.loaded().authz.token_claims(&t).await.unwrap();
    let out = fx.cli_as("carol", &["token", "revoke", &claims.id]);
    assert!(out.status.success());
    crate::accountability::seen(&host, "the revocation", |s| {
        s.tokens.contains_key(&claims.id)
    })
    .await;
    let revoked = call(&host, &t, "adversary.echo", r#"{"text":"x"}"#).await;
    host.shutdown("done").await;
    let recs = records(&fx);
    let allowed = decided(&recs, &ok.call_id);
    for f in [
        "token_id",
        "agent",
        "agent_owner",
        "task",
        "plugin",
        "plugin_version",
        "component_digest",
        "manifest_digest",
        "signer",
        "action_owner",
        "impact",
    ] {
        assert!(
            allowed.data.get(f).is_some(),
            "allowed call lacks {f}: {}",
            allowed.data
        );
    }
    assert!(
        allowed
            .str("manifest_digest")
            .unwrap()
            .starts_with("sha256:")
    );
    let e = decided(&recs, &exp.call_id);
    assert_eq!(
        (e.str("token_id"), e.str("agent"), e.str("task")),
        (Some("tok-expired-1"), Some("bot"), Some("T-2"))
    );
    assert_eq!(e.str("agent_owner"), Some("bot-owner"));
    let g = decided(&recs, &gone.call_id);
    assert_eq!(
        (g.str("agent"), g.str("task")),
        (Some("ghost"), Some("T-9"))
    );
    assert!(g.str("token_id").is_some());
    let r = decided(&recs, &revoked.call_id);
    assert_eq!(
        (r.str("token_id"), r.str("agent")),
        (Some(claims.id.as_str()), Some("bot"))
    );
    assert_eq!(r.data["decision"]["layer"], "revoked");
    let completed = recs
        .iter()
        .find(|x| x.kind == "call" && x.str("call_id") == Some(revoked.call_id.as_str()))
        .unwrap();
    assert_eq!(completed.str("token_id"), Some(claims.id.as_str()));
    let host = fx.host().await;
    let t2 = fx.token("bot", "T-3", &[]).await;
    still_serves_and_verifies(&fx, &host, &t2, "adversary.echo", echo()).await;
}

#[tokio::test]
async fn a_refused_plugin_is_recorded_with_what_was_known_of_it() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"])
        .build()
        .await;
    // Tamper with the signed manifest: its signature no longer verifies.
    let path = fx.path("adversary.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace(
            "publisher = \"test-publisher\"",
            "publisher = \"someone-else\"",
        ),
    )
    .unwrap();
    fx.host().await.shutdown("done").await;
    let refused = records(&fx)
        .into_iter()
        .find(|r| r.kind == "plugin.refused")
        .unwrap();
    assert_eq!(refused.str("plugin"), Some("adversary"));
    assert_eq!(refused.str("plugin_version"), Some("1.0.0"));
    assert_eq!(refused.str("signer"), Some("test-publisher"));
    assert_eq!(refused.str("check"), Some("signature"));
    assert!(
        refused
            .str("manifest_digest")
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(refused.str("manifest").unwrap().ends_with("adversary.toml"));
    assert!(refused.str("reason").unwrap().contains("signature refused"));
}
