//! The order of the authorization layers, pinned: one call that several
//! layers would refuse is refused by the first of them; fixing that one
//! reveals the next. (The order is documented in `warrant::authz`.)

use warrant::CallError;
use warrant::operator::Stop;
use warrant_tests::{Fixture, PluginSpec};

use crate::hardening::call;

const POLICY: &str = r#"
@id("permit-all")
permit (principal, action, resource);

@id("no-thirteen")
forbid (principal, action, resource) when { context.args has text && context.args.text == "13" };
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_refusing_layer_is_the_one_that_refuses() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .plugin(PluginSpec::new("ioc-extract"))
        .agent("bot", &["adversary.*", "ioc-extract.*"])
        .agent("ghost", &["adversary.*"])
        .agent_toml("[[agents]]\nid = \"limited\"\nowner = \"o\"\nmodel = \"m\"\nmodel-owner = \"mo\"\ntools = [\"adversary.*\"]\nrate = \"1/min\"\n")
        .policy(POLICY)
        .build()
        .await;
    let issue = async |agent: &'static str, tools: Vec<&str>| {
        fx.token_as("carol", agent, "T-1", &tools, 600)
            .await
            .unwrap()
    };
    let (revoked, claims) = issue("bot", vec![]).await;
    let (ghost, _) = issue("ghost", vec![]).await;
    let (bot, _) = issue("bot", vec!["adversary.*"]).await;
    let (wide, _) = issue("bot", vec![]).await;
    let (limited, _) = issue("limited", vec![]).await;
    // The agent `ghost` leaves the config; `bot` keeps only `adversary.*`.
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap().replace(
        "tools = [\"adversary.*\", \"ioc-extract.*\"]",
        "tools = [\"adversary.*\"]",
    );
    let cut = cfg.find("[[agents]]\nid = \"ghost\"").unwrap();
    let end = cut + cfg[cut..].find("\n\n").unwrap();
    std::fs::write(fx.config_path(), format!("{}{}", &cfg[..cut], &cfg[end..])).unwrap();
    // Every stop pressed at once.
    fx.stop("carol", &Stop::Revoke(claims.id.clone()), "t")
        .await
        .unwrap();
    fx.stop("carol", &Stop::Halt, "t").await.unwrap();
    fx.stop("carol", &Stop::Quarantine("bot".into()), "t")
        .await
        .unwrap();
    fx.stop("carol", &Stop::Disable("adversary".into()), "t")
        .await
        .unwrap();
    let host = fx.host().await;
    let layer = |r: warrant::CallResponse| match r.outcome {
        Err(CallError::Refused(r)) => r.layer(),
        other => panic!("expected a refusal, got {other:?}"),
    };
    let bad_input = "not json";
    assert_eq!(
        layer(call(&host, "", "ioc-extract.extract", bad_input).await),
        "token"
    );
    assert_eq!(
        layer(call(&host, &revoked, "ioc-extract.extract", bad_input).await),
        "revoked"
    );
    assert_eq!(
        layer(call(&host, &ghost, "ioc-extract.extract", bad_input).await),
        "agent-grant"
    );
    assert_eq!(
        layer(call(&host, &bot, "ioc-extract.extract", bad_input).await),
        "halt"
    );
    fx.stop("carol", &Stop::Resume, "t").await.unwrap();
    assert_eq!(
        layer(call(&host, &bot, "ioc-extract.extract", bad_input).await),
        "quarantine"
    );
    fx.stop("carol", &Stop::Release("bot".into()), "t")
        .await
        .unwrap();
    assert_eq!(
        layer(call(&host, &bot, "ioc-extract.extract", bad_input).await),
        "scope"
    );
    assert_eq!(
        layer(call(&host, &wide, "ioc-extract.extract", bad_input).await),
        "agent-grant"
    );
    assert_eq!(
        layer(call(&host, &bot, "adversary.nope", bad_input).await),
        "unknown-tool"
    );
    assert_eq!(
        layer(call(&host, &bot, "adversary.echo", bad_input).await),
        "plugin-disabled"
    );
    fx.stop("carol", &Stop::Enable("adversary".into()), "t")
        .await
        .unwrap();
    assert_eq!(
        layer(call(&host, &bot, "adversary.echo", bad_input).await),
        "input"
    );
    assert!(
        call(&host, &limited, "adversary.echo", r#"{"text":"1"}"#)
            .await
            .outcome
            .is_ok()
    );
    assert_eq!(
        layer(call(&host, &limited, "adversary.echo", r#"{"text":"13"}"#).await),
        "rate"
    );
    assert_eq!(
        layer(call(&host, &bot, "adversary.echo", r#"{"text":"13"}"#).await),
        "policy"
    );
    assert!(
        call(&host, &bot, "adversary.echo", r#"{"text":"12"}"#)
            .await
            .outcome
            .is_ok()
    );
    host.shutdown("done").await;
}
