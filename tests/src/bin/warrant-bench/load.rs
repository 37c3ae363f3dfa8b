//! Cold load of a signed plugin (from the compiled cache vs compiling), and
//! how fast the stop buttons take effect when pressed from another process.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use warrant::registry::{LoadOptions, load_plugin};
use warrant::state::SqliteState;
use warrant::{CallError, CallFailure, CallRequest, CancelToken, Host, Sandbox, SandboxConfig};
use warrant_tests::{Fixture, PluginSpec};

use crate::Opts;
use crate::stats::{Samples, round};

/// Verify + load + first result, for `ioc-extract`, from a warm compiled
/// cache and from scratch.
pub async fn cold_load(opts: &Opts) -> anyhow::Result<Value> {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("ioc-extract"))
        .agent("bench", &["ioc-extract.*"])
        .build()
        .await;
    let config = fx.config();
    let entry = config.file.plugins[0].clone();
    std::fs::create_dir_all(fx.path("bench-state"))?;
    let state = SqliteState::open(&fx.path("bench-state/state.db"))?;
    let cache_dir = fx.path("bench-cache");
    let cached = Sandbox::new(SandboxConfig {
        cache_dir: Some(cache_dir),
        max_instances: 16,
        ..SandboxConfig::default()
    })?;
    let uncached = Sandbox::new(SandboxConfig {
        cache_dir: None,
        max_instances: 16,
        ..SandboxConfig::default()
    })?;
    let opts_load = LoadOptions {
        dry_run: true,
        ..LoadOptions::default()
    };
    // Fill the cache once.
    load_plugin(&entry, &config, &cached, &state, opts_load).await?;
    let n = if opts.smoke { 5 } else { 40 };
    let (mut from_cache, mut compiled) = (Samples::default(), Samples::default());
    for i in 0..n * 2 {
        let sandbox = if i % 2 == 0 { &cached } else { &uncached };
        let start = Instant::now();
        let p = load_plugin(&entry, &config, sandbox, &state, opts_load).await?;
        p.plugin
            .call("extract", r#"{"text":"198.51.100.7"}"#, &CancelToken::new())
            .await
            .outcome
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if i % 2 == 0 {
            &mut from_cache
        } else {
            &mut compiled
        }
        .push(start.elapsed());
        if !opts.smoke && i % 2 == 1 && i > 10 {
            // Compiling is slow; a handful of samples is enough.
            break;
        }
    }
    println!("\ncold load of a signed plugin (verify + load + first result)    p50 ms     p99 ms");
    println!(
        "  from the compiled-component cache                          {:>9.2} {:>10.2}",
        from_cache.p50() / 1000.0,
        from_cache.p99() / 1000.0
    );
    println!(
        "  compiling from scratch                                     {:>9.2} {:>10.2}",
        compiled.p50() / 1000.0,
        compiled.p99() / 1000.0
    );
    Ok(json!({
        "cached_p50_ms": round(from_cache.p50() / 1000.0), "cached_p99_ms": round(from_cache.p99() / 1000.0),
        "compiled_p50_ms": round(compiled.p50() / 1000.0), "compiled_p99_ms": round(compiled.p99() / 1000.0),
    }))
}

/// From `warrant halt` / `warrant quarantine` in another process to the
/// effect in this one. Measured from the moment the CLI process exits
/// (its change is committed), and from its start.
pub async fn stop_latency(fx: &Fixture, host: &Host, opts: &Opts) -> anyhow::Result<Value> {
    let token = fx.token("bench", "BENCH-STOP", &[]).await;
    let rounds = if opts.smoke { 2 } else { 8 };
    let (mut refuse, mut cancel, mut refuse_total) =
        (Samples::default(), Samples::default(), Samples::default());
    for _ in 0..rounds {
        // Quarantine cancels an in-flight call.
        let (h, t) = (host.clone(), token.clone());
        let spin = tokio::spawn(async move {
            let r = h
                .call(CallRequest {
                    token: t,
                    tool: "adversary.spin".into(),
                    input: "{}".into(),
                    channel: "lib",
                    ..CallRequest::default()
                })
                .await;
            (Instant::now(), r.outcome)
        });
        while host.inflight() == 0 {
            anyhow::ensure!(!spin.is_finished(), "the spinning call ended before it ran");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let status = tokio::task::spawn_blocking({
            let mut cmd = fx.cli_command_as("carol", &["quarantine", "bench", "--reason", "bench"]);
            move || cmd.output().map(|o| o.status)
        })
        .await??;
        let exited = Instant::now();
        anyhow::ensure!(status.success(), "quarantine failed");
        let (ended, outcome) = spin.await?;
        anyhow::ensure!(
            matches!(outcome, Err(CallError::Failed(CallFailure::Cancelled(_)))),
            "the in-flight call was not cancelled: {outcome:?}"
        );
        cancel.push(ended.saturating_duration_since(exited));
        release(fx)?;
        warrant_tests::stops_seen(host, |s| s.agents.is_empty())
            .await
            .map_err(|e| anyhow::anyhow!("the host did not see the release: {e}"))?;

        // Halt refuses new calls.
        let started = Instant::now();
        let status = tokio::task::spawn_blocking({
            let mut cmd = fx.cli_command_as("carol", &["halt"]);
            move || cmd.output().map(|o| o.status)
        })
        .await??;
        let exited = Instant::now();
        anyhow::ensure!(status.success(), "halt failed");
        loop {
            let r = host
                .call(CallRequest {
                    token: token.clone(),
                    tool: "adversary.echo".into(),
                    input: r#"{"text":"x"}"#.into(),
                    channel: "lib",
                    ..CallRequest::default()
                })
                .await;
            if matches!(&r.outcome, Err(CallError::Refused(x)) if x.layer() == "halt") {
                break;
            }
            anyhow::ensure!(
                exited.elapsed() < Duration::from_secs(5),
                "halt never took effect"
            );
        }
        refuse.push(exited.elapsed());
        refuse_total.push(started.elapsed());
        let out = fx.cli_command_as("carol", &["resume"]).output()?;
        anyhow::ensure!(out.status.success(), "resume failed");
        warrant_tests::stops_seen(host, |s| s.halted.is_none())
            .await
            .map_err(|e| anyhow::anyhow!("the host did not see the resume: {e}"))?;
    }
    println!("\nstop buttons from another process                               p50 ms     p99 ms");
    println!(
        "  halt: CLI exit → new calls refused                         {:>9.2} {:>10.2}",
        refuse.p50() / 1000.0,
        refuse.p99() / 1000.0
    );
    println!(
        "  halt: CLI start → new calls refused (incl. process start)  {:>9.2} {:>10.2}",
        refuse_total.p50() / 1000.0,
        refuse_total.p99() / 1000.0
    );
    println!(
        "  quarantine: CLI exit → in-flight call cancelled            {:>9.2} {:>10.2}",
        cancel.p50() / 1000.0,
        cancel.p99() / 1000.0
    );
    Ok(json!({
        "halt_refusal_ms": round(refuse.p50() / 1000.0), "halt_refusal_p99_ms": round(refuse.p99() / 1000.0),
        "halt_from_cli_start_ms": round(refuse_total.p50() / 1000.0),
        "quarantine_cancel_ms": round(cancel.p50() / 1000.0), "quarantine_cancel_p99_ms": round(cancel.p99() / 1000.0),
    }))
}

fn release(fx: &Fixture) -> anyhow::Result<()> {
    let out = fx.cli_command_as("carol", &["release", "bench"]).output()?;
    anyhow::ensure!(
        out.status.success(),
        "release failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}
