//! `/metrics` scraped by a real Prometheus (Debian's `prometheus`, started
//! on a free loopback port by `warrant_tests::prometheus`): PromQL over its
//! HTTP API returns the calls the test made — those the server mediated
//! (`warrant_calls_total`, by channel and layer) and, from the chain the
//! server serves, those a `warrant call` process made beside it
//! (`warrant_audit_calls_total`).

use std::time::Duration;

use serde_json::json;
use warrant_tests::prometheus::{Prometheus, sample_value};
use warrant_tests::{Fixture, PluginSpec};

use crate::api::support::serve;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_every_call_including_the_clis() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.echo"])
        .build()
        .await;
    let srv = serve(&fx).await;
    let token = fx.token("bot", "T-PROM", &[]).await;
    let http = reqwest::Client::new();
    for (tool, status) in [
        ("adversary.echo", 200),
        ("adversary.echo", 200),
        // Outside the agent's grant: refused by the scope layer.
        ("adversary.random-bytes", 403),
    ] {
        let r = http
            .post(format!("{}/v1/tools/{tool}/call", srv.base))
            .bearer_auth(&token)
            .json(&json!({"input": {"text": "x", "n": 1}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{tool}");
    }
    // Another process, the same chain.
    let out = fx.cli(&[
        "call",
        "adversary.echo",
        "--input",
        r#"{"text":"from the CLI"}"#,
        "--token",
        &token,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let target = srv.base.trim_start_matches("http://").parse().unwrap();
    let prom = Prometheus::start(&[target], "/metrics", None);
    prom.targets_up().await;
    let value = |promql: &'static str, want: f64| {
        let prom = &prom;
        async move {
            let r = prom
                .wait_for(
                    promql,
                    |r| sample_value(r) == Some(want),
                    Duration::from_secs(30),
                )
                .await;
            assert_eq!(sample_value(&r), Some(want), "{promql}: {r}");
        }
    };
    // What this server mediated, by channel and layer.
    value(r#"sum(warrant_calls_total{channel="http"})"#, 3.0).await;
    value(
        r#"sum(warrant_calls_total{decision="deny",layer="scope",tool="adversary.random-bytes"})"#,
        1.0,
    )
    .await;
    value(r#"sum(warrant_call_duration_seconds_count)"#, 3.0).await;
    // What the chain holds since the server started: the CLI's call too.
    value(
        r#"sum(warrant_audit_calls_total{tool="adversary.echo",decision="allow"})"#,
        3.0,
    )
    .await;
    value(r#"sum(warrant_audit_calls_total)"#, 4.0).await;
}
