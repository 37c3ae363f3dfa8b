//! The measured scenarios.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use warrant::{CallRequest, CancelToken, Host, HostOptions};
use warrant_tests::{Fixture, PluginSpec};

use crate::Opts;
use crate::raw::Raw;
use crate::stats::{Samples, round, row};

pub const INPUT: &str = r#"{"text":"ping"}"#;

/// A host on a fixture with the adversary's `echo` tool, permit-all policy.
pub async fn fixture() -> Fixture {
    Fixture::builder()
        .plugin(PluginSpec::new("adversary").limits("instances = 128\ntimeout = \"10s\""))
        .plugin(PluginSpec::new("ioc-extract"))
        .agent("bench", &["adversary.*", "ioc-extract.*"])
        .build()
        .await
}

pub async fn open(fx: &Fixture, no_fsync: bool) -> anyhow::Result<Host> {
    Ok(Host::open(
        fx.config(),
        HostOptions {
            unsafe_no_fsync: no_fsync,
            ..HostOptions::default()
        },
    )
    .await?)
}

pub async fn mediated(host: &Host, token: &str) -> anyhow::Result<()> {
    let r = host
        .call(CallRequest {
            token: token.into(),
            tool: "adversary.echo".into(),
            input: INPUT.into(),
            channel: "lib",
            ..CallRequest::default()
        })
        .await;
    r.outcome.map(|_| ()).map_err(|e| anyhow::anyhow!("{e}"))
}

fn fsync_once(path: &std::path::Path) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?;
    f.write_all(&[b'x'; 256])?;
    f.sync_data()?;
    Ok(())
}

/// Loop mediated calls (audit not fsynced) for `secs`, for a profiler.
pub async fn profile_loop(secs: u64) -> anyhow::Result<u64> {
    let fx = fixture().await;
    let host = open(&fx, true).await?;
    let token = fx.token("bench", "BENCH-PROFILE", &[]).await;
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut n = 0;
    while Instant::now() < deadline {
        mediated(&host, &token).await?;
        n += 1;
    }
    host.shutdown("profile done").await;
    Ok(n)
}

/// Run everything; returns the JSON result.
/// Only the fleet measurements (`--fleet`), against a SQLite host of
/// their own.
pub async fn fleet_only(opts: &Opts) -> anyhow::Result<Value> {
    let fx = fixture().await;
    let fast = open(&fx, true).await?;
    let token = fx.token("bench", "BENCH-1", &[]).await;
    mediated(&fast, &token).await?;
    Ok(json!({"fleet": crate::fleet::fleet(opts, (&fast, &token)).await?}))
}

pub async fn run(opts: &Opts) -> anyhow::Result<Value> {
    println!(
        "warrant-bench — {}, {} build, {} cores, wasmtime 48",
        chrono::Utc::now().format("%Y-%m-%d"),
        if cfg!(debug_assertions) {
            "DEBUG (numbers are not representative; use --release)"
        } else {
            "release"
        },
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let fx_durable = fixture().await;
    let fx_fast = fixture().await;
    let durable = open(&fx_durable, false).await?;
    let fast = open(&fx_fast, true).await?;
    // The same as `fast`, with the chain's index kept up to date beside it
    // as `warrant serve` keeps it (a follower thread; here every 100 ms).
    let fx_indexed = fixture().await;
    let indexed = open(&fx_indexed, true).await?;
    let t_indexed = fx_indexed.token("bench", "BENCH-1", &[]).await;
    let index = std::sync::Arc::new(warrant::audit::AuditIndex::beside(
        &indexed.audit().paths().log,
    ));
    warrant::audit::AuditIndex::follow(&index, std::time::Duration::from_millis(100));
    let t_durable = fx_durable.token("bench", "BENCH-1", &[]).await;
    let t_fast = fx_fast.token("bench", "BENCH-1", &[]).await;
    let raw = Raw::new(&warrant_tests::component_bytes("adversary"))?;
    let sandbox_only = durable
        .registry()
        .get("adversary")
        .map(|p| p.plugin.clone())
        .ok_or_else(|| anyhow::anyhow!("adversary not loaded"))?;
    let fsync_file = fx_durable.path("fsync-probe");

    // Warm up every path once.
    raw.call("echo", INPUT).await?;
    mediated(&fast, &t_fast).await?;
    mediated(&durable, &t_durable).await?;
    mediated(&indexed, &t_indexed).await?;

    let names = [
        "raw",
        "sandbox",
        "mediated_nofsync",
        "mediated_durable",
        "fsync",
        "mediated_indexed",
    ];
    let mut samples: Vec<Samples> = vec![Samples::default(); names.len()];
    for _ in 0..opts.rounds {
        for (i, _) in names.iter().enumerate() {
            for _ in 0..opts.per_round {
                let start = Instant::now();
                match i {
                    0 => raw.call("echo", INPUT).await?,
                    1 => {
                        sandbox_only
                            .call("echo", INPUT, &CancelToken::new())
                            .await
                            .outcome
                            .map_err(|e| anyhow::anyhow!("{e}"))?;
                    }
                    2 => mediated(&fast, &t_fast).await?,
                    3 => mediated(&durable, &t_durable).await?,
                    4 => fsync_once(&fsync_file)?,
                    _ => mediated(&indexed, &t_indexed).await?,
                }
                samples[i].push(start.elapsed());
            }
        }
    }
    let [raw_s, sandbox_s, fast_s, durable_s, fsync_s, indexed_s] =
        [0, 1, 2, 3, 4, 5].map(|i| samples[i].clone());

    println!(
        "\nlatency per call (µs)                                         p50        p99        n"
    );
    row("raw wasmtime: fresh store + instance + call", &raw_s);
    row("warrant sandbox only (grants, limits, epoch)", &sandbox_s);
    row(
        "mediated, audit not fsynced (token+policy+sandbox)",
        &fast_s,
    );
    row(
        "mediated, durable audit (fsync before the answer)",
        &durable_s,
    );
    row("this disk: write + fdatasync", &fsync_s);
    row(
        "mediated, not fsynced, chain index kept up to date",
        &indexed_s,
    );
    index.catch_up()?;
    let index_ratio = indexed_s.p50() / fast_s.p50().max(1e-9);
    crate::stats::ratio(
        "mediated with the index kept ÷ without, p50",
        index_ratio,
        "≈ 1 (noise)",
        index_ratio <= 1.1,
    );
    drop(index);
    indexed.shutdown("bench done").await;

    let stages = crate::breakdown::breakdown(&fast, &durable, &t_fast, opts.per_round * 2).await?;

    let lo = crate::loopback::loopback(&fx_fast, &t_fast, opts).await?;
    row("raw loopback HTTP exchange (axum echo, reqwest)", &lo.echo);
    row("HTTP/JSON API on loopback (reqwest)", &lo.http_json);
    row("MCP streamable HTTP on loopback (rmcp client)", &lo.mcp);

    let throughput = throughput(&raw, &durable, &t_durable, (&fast, &t_fast), opts).await?;
    let cold = crate::load::cold_load(opts).await?;
    let languages = crate::languages::languages(opts).await?;
    let stops = crate::load::stop_latency(&fx_durable, &durable, opts).await?;
    let fleet = crate::fleet::fleet(opts, (&fast, &t_fast)).await?;
    // Last: it installs the span exporter in this process for good.
    let telemetry = crate::telemetry::telemetry((&fast, &t_fast), opts).await?;

    let measured = crate::targets::Measured {
        raw: &raw_s,
        sandbox: &sandbox_s,
        fast: &fast_s,
        durable: &durable_s,
        fsync: &fsync_s,
        loopback: &lo,
        stages: &stages,
        throughput: &throughput,
        cold: &cold,
        stops: &stops,
    };
    let ratios = crate::targets::report(&measured);
    durable.shutdown("bench done").await;
    fast.shutdown("bench done").await;
    Ok(json!({
        "date": chrono::Utc::now().to_rfc3339(),
        "profile": if cfg!(debug_assertions) { "debug" } else { "release" },
        "smoke": opts.smoke,
        "latency": {
            "raw": raw_s.json(), "sandbox": sandbox_s.json(),
            "mediated_nofsync": fast_s.json(), "mediated_durable": durable_s.json(), "fsync": fsync_s.json(),
            "mediated_indexed": indexed_s.json(), "index_maintained_ratio": crate::stats::round(index_ratio),
            "loopback": { "echo": lo.echo.json(), "http_json": lo.http_json.json(), "mcp": lo.mcp.json() },
        },
        "ratios": ratios,
        "stages": stages,
        "throughput_per_s": throughput,
        "cold_load": cold,
        "languages": languages,
        "stop_buttons": stops,
        "fleet": fleet,
        "telemetry": telemetry,
    }))
}

/// Calls per second with `n` concurrent callers, for `secs`.
async fn throughput(
    raw: &Raw,
    host: &Host,
    token: &str,
    fast: (&Host, &str),
    opts: &Opts,
) -> anyhow::Result<Value> {
    let secs = if opts.smoke {
        Duration::from_millis(300)
    } else {
        Duration::from_secs(3)
    };
    let mut out = json!({"raw": {}, "mediated_durable": {}, "mediated_nofsync": {}});
    println!("\nthroughput (calls/s)                                  callers=1        2       64");
    let mut lines = [
        String::from("  raw wasmtime, fresh instance per call                "),
        String::from("  mediated, durable audit                              "),
        String::from("  mediated, audit not fsynced (CPU-bound ceiling)      "),
    ];
    for n in [1usize, 2, 64] {
        for (k, which) in ["raw", "mediated_durable", "mediated_nofsync"]
            .iter()
            .enumerate()
        {
            let deadline = Instant::now() + secs;
            let mut tasks = Vec::new();
            for _ in 0..n {
                let (raw, host, token) = if *which == "mediated_nofsync" {
                    (raw.clone(), fast.0.clone(), fast.1.to_owned())
                } else {
                    (raw.clone(), host.clone(), token.to_owned())
                };
                let which = *which;
                tasks.push(tokio::spawn(async move {
                    let mut done = 0u64;
                    while Instant::now() < deadline {
                        let ok = if which == "raw" {
                            raw.call("echo", INPUT).await.is_ok()
                        } else {
                            mediated(&host, &token).await.is_ok()
                        };
                        if ok {
                            done += 1;
                        }
                    }
                    done
                }));
            }
            let mut total = 0;
            for t in tasks {
                total += t.await?;
            }
            let per_s = total as f64 / secs.as_secs_f64();
            out[*which][n.to_string()] = json!(round(per_s));
            lines[k].push_str(&format!("{per_s:>9.0}"));
        }
    }
    for l in lines {
        println!("{l}");
    }
    Ok(out)
}
