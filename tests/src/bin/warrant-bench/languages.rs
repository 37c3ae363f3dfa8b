//! The same trivial tool (the adversary's `env`) written in Rust, Python
//! (componentize-py) and TypeScript (jco + componentize-js): what each
//! language costs — component size, compiling it, loading it from the
//! compiled cache in a fresh engine (as a new process does), the compiled
//! size on disk, and one mediated call through a running host.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{Value, json};
use warrant::{CallRequest, CancelToken, Capabilities, Sandbox, SandboxConfig};
use warrant_tests::authors::{py_adversary, ts_adversary};
use warrant_tests::{Fixture, PluginSpec};

use crate::Opts;
use crate::stats::{Samples, round};

const INPUT: &str = r#"{"name":"INTEL_API"}"#;

/// The adversaries import wasi:http (their `fetch` tool), so they are
/// granted an origin; `env` makes no request.
const ORIGIN: &str = "http://127.0.0.1:9";

fn caps() -> Capabilities {
    Capabilities {
        env: vec![("INTEL_API".into(), "http://127.0.0.1:8788".into())],
        http: warrant::capability::http::HttpGranted {
            origins: vec![warrant::vocab::parse_origin(ORIGIN).expect("an origin")],
            stub: None,
        },
        ..Capabilities::default()
    }
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(std::fs::Metadata::is_file)
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Load (compiling or from the cache) and run the first call.
async fn load_and_call(sandbox: &Sandbox, bytes: &[u8], digest: &str) -> anyhow::Result<()> {
    let p = sandbox.load("bench", bytes, digest, caps()).await?;
    p.call("env", INPUT, &CancelToken::new())
        .await
        .outcome
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

async fn one(lang: &str, path: &Path, opts: &Opts) -> anyhow::Result<Value> {
    let bytes = std::fs::read(path)?;
    let digest = warrant::keys::sha256_hex(&bytes);
    let tmp = tempfile::tempdir()?;
    let cache_dir = tmp.path().join("cache");
    let config = |cache: Option<PathBuf>| SandboxConfig {
        cache_dir: cache,
        max_instances: 16,
        ..SandboxConfig::default()
    };
    let (mut compile, mut cached) = (Samples::default(), Samples::default());
    for _ in 0..if opts.smoke { 1 } else { 3 } {
        let sandbox = Sandbox::new(config(None))?;
        let start = Instant::now();
        load_and_call(&sandbox, &bytes, &digest).await?;
        compile.push(start.elapsed());
    }
    Sandbox::new(config(Some(cache_dir.clone())))?
        .load("bench", &bytes, &digest, caps())
        .await?;
    for _ in 0..if opts.smoke { 2 } else { 10 } {
        // A fresh engine, as in a new process: only the disk cache is warm.
        let sandbox = Sandbox::new(config(Some(cache_dir.clone())))?;
        let start = Instant::now();
        load_and_call(&sandbox, &bytes, &digest).await?;
        cached.push(start.elapsed());
    }
    let compiled_bytes = dir_size(&cache_dir);

    let spec = match lang {
        "rust" => PluginSpec::new("adversary"),
        _ => PluginSpec::built("adversary", path.to_owned()),
    };
    let fx = Fixture::builder()
        .plugin(
            spec.grants(&format!("env = [\"INTEL_API\"]\nhttp = [{ORIGIN:?}]"))
                .entry("env = { INTEL_API = \"http://127.0.0.1:8788\" }"),
        )
        .agent("bench", &["adversary.env"])
        .build()
        .await;
    let host = fx.host().await;
    let token = fx.token("bench", "BENCH-LANG", &[]).await;
    let mut calls = Samples::default();
    for i in 0..opts.per_round * 2 {
        let start = Instant::now();
        let r = host
            .call(CallRequest {
                token: token.clone(),
                tool: "adversary.env".into(),
                input: INPUT.into(),
                channel: "lib",
                ..CallRequest::default()
            })
            .await;
        anyhow::ensure!(r.outcome.is_ok(), "{lang}: {:?}", r.outcome);
        if i >= 5 {
            calls.push(start.elapsed());
        }
    }
    host.shutdown("bench done").await;
    println!(
        "  {lang:<11} {:>8.1} MB {:>10.0} {:>12.1} {:>12.1} MB {:>9.2} {:>9.2}",
        bytes.len() as f64 / 1e6,
        compile.p50() / 1000.0,
        cached.p50() / 1000.0,
        compiled_bytes as f64 / 1e6,
        calls.p50() / 1000.0,
        calls.p99() / 1000.0,
    );
    Ok(json!({
        "component_bytes": bytes.len(),
        "compile_first_call_ms": round(compile.p50() / 1000.0),
        "cached_load_first_call_ms": round(cached.p50() / 1000.0),
        "compiled_cache_bytes": compiled_bytes,
        "mediated_call_p50_ms": round(calls.p50() / 1000.0),
        "mediated_call_p99_ms": round(calls.p99() / 1000.0),
    }))
}

/// Every language, side by side.
pub async fn languages(opts: &Opts) -> anyhow::Result<Value> {
    let built = tokio::task::spawn_blocking(|| (py_adversary(), ts_adversary())).await?;
    println!(
        "\nthe same tool in each language (adversary `env`)  component  compile+call ms  cached load ms  compiled  call p50 ms  p99 ms"
    );
    let rust = PathBuf::from(warrant_tests::component_path("adversary"));
    Ok(json!({
        "rust": one("rust", &rust, opts).await?,
        "python": one("python", &built.0, opts).await?,
        "typescript": one("typescript", &built.1, opts).await?,
    }))
}
