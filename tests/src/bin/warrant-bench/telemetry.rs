//! What telemetry costs: the mediated call (audit not fsynced) with
//! telemetry off, then on — spans and metrics exported over OTLP/HTTP to a
//! receiver in this process (`warrant_tests::otlp`) — in the same run. Off
//! is measured first: once this process installs the span exporter, it
//! stays installed.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use warrant::{Host, HostOptions};
use warrant_tests::{Fixture, PluginSpec};

use crate::Opts;
use crate::scenarios::mediated;
use crate::stats::{Samples, round, row};

async fn samples(host: &Host, token: &str, n: usize) -> anyhow::Result<Samples> {
    let mut s = Samples::default();
    for _ in 0..n {
        let start = Instant::now();
        mediated(host, token).await?;
        s.push(start.elapsed());
    }
    Ok(s)
}

/// Off against on; `off` is a host without `[telemetry]`.
pub async fn telemetry(off: (&Host, &str), opts: &Opts) -> anyhow::Result<Value> {
    let n = opts.rounds * opts.per_round;
    let off_s = samples(off.0, off.1, n).await?;

    let rx = warrant_tests::otlp::Receiver::start().await;
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary").limits("instances = 128\ntimeout = \"10s\""))
        .agent("bench", &["adversary.*"])
        .config(&format!(
            "[telemetry]\nenabled = true\nendpoint = \"{}\"\nmetrics-interval = \"1s\"",
            rx.http_endpoint()
        ))
        .build()
        .await;
    let config = fx.config();
    let layer = warrant::telemetry::tracing_layer(&config.telemetry)?;
    let _ = tracing_subscriber::registry().with(layer).try_init();
    let on = Host::open(
        config,
        HostOptions {
            unsafe_no_fsync: true,
            ..HostOptions::default()
        },
    )
    .await?;
    let token = fx.token("bench", "BENCH-OTEL", &[]).await;
    mediated(&on, &token).await?;
    let on_s = samples(&on, &token, n).await?;
    on.shutdown("bench done").await;
    let exported = rx
        .wait_for_spans(
            |s| s.len() >= n.min(512),
            Duration::from_secs(if opts.smoke { 10 } else { 30 }),
        )
        .await
        .len();

    println!(
        "\ntelemetry                                                     p50        p99        n"
    );
    row("mediated, audit not fsynced, telemetry off", &off_s);
    row(
        "mediated, audit not fsynced, telemetry on (OTLP/HTTP)",
        &on_s,
    );
    let ratio = on_s.p50() / off_s.p50();
    println!("  on ÷ off, p50: {ratio:.2} ({exported} spans received)");
    Ok(json!({
        "off": off_s.json(),
        "on": on_s.json(),
        "on_over_off_p50": round(ratio),
        "spans_received": exported,
    }))
}
