//! Instructions per operation, counted by callgrind: figures that do not
//! move with the neighbours' load on a noisy machine, so that a
//! regression in one stage shows as a number.
//!
//! `warrant-bench --instructions` runs this binary again under
//! `valgrind --tool=callgrind` as a child that loops each stage `N` times
//! inside its own never-inlined function, then reads each function's
//! inclusive instruction count with `callgrind_annotate`.

use std::process::Command;

use serde_json::{Value, json};
use tokio::runtime::Runtime;
use warrant::audit::Event;
use warrant::{CancelToken, Host};

use crate::raw::Raw;
use crate::scenarios::{INPUT, fixture, mediated, open};

/// The stages counted, as (function name, label).
const STAGES: [(&str, &str); 7] = [
    (
        "count_raw",
        "raw wasmtime: fresh store + instance + typed call",
    ),
    ("count_sandbox", "warrant's sandbox alone"),
    ("count_mediated", "mediated call, audit not fsynced"),
    ("count_token", "task token"),
    ("count_stops", "stop state check"),
    ("count_policy", "Cedar policy decision"),
    ("count_audit", "one audit record (not fsynced)"),
];

/// Parent side: run the child under callgrind and print instructions per
/// operation.
pub fn run(n: usize, out: &std::path::Path) -> anyhow::Result<Value> {
    // `callgrind_annotate --version` exits non-zero; that it starts is
    // enough.
    let have = |tool: &str| Command::new(tool).arg("--version").output().is_ok();
    anyhow::ensure!(
        have("valgrind") && have("callgrind_annotate"),
        "--instructions needs valgrind and callgrind_annotate on PATH (Debian: apt-get install -y valgrind)"
    );
    // Kept beside the JSON result, for `callgrind_annotate` by hand.
    let exe = std::env::current_exe()?;
    println!(
        "counting instructions under callgrind ({n} operations per stage; this takes a few minutes)"
    );
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg("--quiet")
        .arg(&exe)
        .args(["--instructions-child", &n.to_string()])
        .status()?;
    anyhow::ensure!(status.success(), "the counted run failed: {status}");
    let annotated = Command::new("callgrind_annotate")
        .args(["--inclusive=yes", "--threshold=100"])
        .arg(out)
        .output()?;
    anyhow::ensure!(
        annotated.status.success(),
        "callgrind_annotate failed: {}",
        String::from_utf8_lossy(&annotated.stderr)
    );
    let text = String::from_utf8_lossy(&annotated.stdout);
    println!(
        "\ninstructions per operation (callgrind, inclusive; the profile is {})",
        out.display()
    );
    let mut result = json!({});
    for (func, label) in STAGES {
        let total = text
            .lines()
            .filter(|l| l.contains(&format!("instr::{func}")))
            .filter_map(|l| l.split_whitespace().next())
            .filter_map(|v| v.replace(',', "").parse::<u64>().ok())
            .max();
        match total {
            Some(t) => {
                let per = t / n as u64;
                println!("  {label:<52} {per:>12}");
                result[func.trim_start_matches("count_")] = json!(per);
            }
            None => println!("  {label:<52} {:>12}", "(not found)"),
        }
    }
    Ok(result)
}

/// Child side (under callgrind): set up, warm up, then loop each stage.
pub fn child(rt: &Runtime, n: usize) -> anyhow::Result<()> {
    let fx = rt.block_on(fixture());
    let host = rt.block_on(open(&fx, true))?;
    let token = rt.block_on(fx.token("bench", "BENCH-INSTR", &[]));
    let raw = Raw::new(&warrant_tests::component_bytes("adversary"))?;
    rt.block_on(async {
        raw.call("echo", INPUT).await?;
        mediated(&host, &token).await
    })?;
    count_raw(rt, &raw, n)?;
    count_sandbox(rt, &host, n)?;
    count_mediated(rt, &host, &token, n)?;
    count_token(rt, &host, &token, n)?;
    count_stops(rt, &host, n)?;
    count_policy(&host, n);
    count_audit(rt, &host, n)?;
    rt.block_on(host.shutdown("instructions counted"));
    Ok(())
}

#[inline(never)]
fn count_raw(rt: &Runtime, raw: &Raw, n: usize) -> anyhow::Result<()> {
    rt.block_on(async {
        for _ in 0..n {
            raw.call("echo", INPUT).await?;
        }
        Ok(())
    })
}

#[inline(never)]
fn count_sandbox(rt: &Runtime, host: &Host, n: usize) -> anyhow::Result<()> {
    let plugin = host
        .registry()
        .get("adversary")
        .map(|p| p.plugin.clone())
        .ok_or_else(|| anyhow::anyhow!("adversary not loaded"))?;
    rt.block_on(async {
        for _ in 0..n {
            plugin
                .call("echo", INPUT, &CancelToken::new())
                .await
                .outcome
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        Ok(())
    })
}

#[inline(never)]
fn count_mediated(rt: &Runtime, host: &Host, token: &str, n: usize) -> anyhow::Result<()> {
    rt.block_on(async {
        for _ in 0..n {
            mediated(host, token).await?;
        }
        Ok(())
    })
}

#[inline(never)]
fn count_token(rt: &Runtime, host: &Host, token: &str, n: usize) -> anyhow::Result<()> {
    let loaded = host.loaded();
    let stops = warrant::state::StopState::default();
    rt.block_on(async {
        for _ in 0..n {
            loaded
                .authz
                .admit_token(token, &stops, chrono::Utc::now())
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.refusal))?;
        }
        Ok(())
    })
}

#[inline(never)]
fn count_stops(rt: &Runtime, host: &Host, n: usize) -> anyhow::Result<()> {
    rt.block_on(async {
        for _ in 0..n {
            host.stops().await?;
        }
        Ok(())
    })
}

#[inline(never)]
fn count_policy(host: &Host, n: usize) {
    let args = json!({"text": "ping"});
    let history = warrant::state::TaskHistory::default();
    let loaded = host.loaded();
    for _ in 0..n {
        let input = crate::breakdown::policy_input(&args, &history);
        let _ = loaded.authz.policy().decide(&input);
    }
}

#[inline(never)]
fn count_audit(rt: &Runtime, host: &Host, n: usize) -> anyhow::Result<()> {
    let record: Event = crate::breakdown::sample_record()?;
    rt.block_on(async {
        for _ in 0..n {
            host.audit().append(&record, false).await?;
        }
        Ok(())
    })
}
