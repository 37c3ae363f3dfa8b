//! The measured scenarios.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use warrant::{CallRequest, CancelToken, Host, HostOptions};
use warrant_tests::{Fixture, PluginSpec};

use crate::Opts;
use crate::raw::Raw;
use crate::stats::{Samples, ratio, round, row};

pub const INPUT: &str = r#"{"text":"ping"}"#;

/// A host on a fixture with the adversary's `echo` tool, permit-all policy.
async fn fixture() -> Fixture {
    Fixture::builder()
        .plugin(PluginSpec::new("adversary").limits("instances = 128\ntimeout = \"10s\""))
        .plugin(PluginSpec::new("ioc-extract"))
        .agent("bench", &["adversary.*", "ioc-extract.*"])
        .build()
        .await
}

async fn open(fx: &Fixture, no_fsync: bool) -> anyhow::Result<Host> {
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

    let names = [
        "raw",
        "sandbox",
        "mediated_nofsync",
        "mediated_durable",
        "fsync",
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
                    _ => fsync_once(&fsync_file)?,
                }
                samples[i].push(start.elapsed());
            }
        }
    }
    let [raw_s, sandbox_s, fast_s, durable_s, fsync_s] =
        [0, 1, 2, 3, 4].map(|i| samples[i].clone());

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

    let stages = crate::breakdown::breakdown(&fast, &durable, &t_fast, opts.per_round * 2).await?;

    let (http_json, mcp) = crate::loopback::loopback(&fx_fast, &t_fast, opts).await?;
    if let Some(s) = &http_json {
        row("HTTP/JSON API on loopback (reqwest)", s);
    }
    if let Some(s) = &mcp {
        row("MCP streamable HTTP on loopback", s);
    }

    let throughput = throughput(&raw, &durable, &t_durable, (&fast, &t_fast), opts).await?;
    let cold = crate::load::cold_load(opts).await?;
    let stops = crate::load::stop_latency(&fx_durable, &durable, opts).await?;

    let med_ratio = fast_s.p50() / raw_s.p50();
    let over_fsync = durable_s.p50() - raw_s.p50() - fsync_s.p50();
    println!("\nratios and targets");
    ratio(
        "mediated (no fsync) ÷ raw, p50",
        med_ratio,
        "≤ 1.5",
        med_ratio <= 1.5,
    );
    ratio(
        "durable − raw − one fsync, p50 (µs)",
        over_fsync,
        "≤ 0",
        over_fsync <= 0.0,
    );
    let mut json_loopback = json!({});
    if let Some(h) = &http_json {
        let over = h.p50() - fast_s.p50();
        ratio("HTTP/JSON − library, p50 (µs)", over, "≤ 50", over <= 50.0);
        ratio(
            "HTTP/JSON ÷ library, p50",
            h.p50() / fast_s.p50(),
            "(info)",
            true,
        );
        json_loopback["http_json"] = h.json();
    }
    if let Some(m) = &mcp {
        let over = m.p50() - fast_s.p50();
        ratio("MCP − library, p50 (µs)", over, "≤ 50", over <= 50.0);
        json_loopback["mcp"] = m.json();
    }
    let t64 = throughput["mediated_durable"]["64"].as_f64().unwrap_or(0.0)
        / throughput["raw"]["64"].as_f64().unwrap_or(1.0);
    ratio(
        "durable mediated ÷ raw throughput, 64 callers",
        t64,
        "≥ 0.5",
        t64 >= 0.5,
    );
    let cache = cold["cached_p50_ms"].as_f64().unwrap_or(f64::NAN);
    ratio("cold load from cache, p50 (ms)", cache, "≤ 2", cache <= 2.0);
    ratio(
        "cached ÷ compiled cold load",
        cache / cold["compiled_p50_ms"].as_f64().unwrap_or(f64::NAN),
        "(info)",
        true,
    );
    let halt = stops["halt_refusal_ms"].as_f64().unwrap_or(f64::NAN);
    ratio(
        "halt → new calls refused (ms, from the CLI's exit)",
        halt,
        "< 100",
        halt < 100.0,
    );
    let cancel = stops["quarantine_cancel_ms"].as_f64().unwrap_or(f64::NAN);
    ratio(
        "quarantine → in-flight call cancelled (ms)",
        cancel,
        "< 100",
        cancel < 100.0,
    );

    durable.shutdown("bench done").await;
    fast.shutdown("bench done").await;
    Ok(json!({
        "date": chrono::Utc::now().to_rfc3339(),
        "profile": if cfg!(debug_assertions) { "debug" } else { "release" },
        "smoke": opts.smoke,
        "latency": {
            "raw": raw_s.json(), "sandbox": sandbox_s.json(),
            "mediated_nofsync": fast_s.json(), "mediated_durable": durable_s.json(), "fsync": fsync_s.json(),
            "loopback": json_loopback,
        },
        "ratios": { "mediated_over_raw_p50": round(med_ratio), "durable_minus_raw_minus_fsync_us": round(over_fsync), "throughput_64": round(t64) },
        "stages": stages,
        "throughput_per_s": throughput,
        "cold_load": cold,
        "stop_buttons": stops,
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
