//! `warrant-bench`: mediation measured against the raw wasmtime floor, side
//! by side, in one run.
//!
//! ```text
//! cargo run --release -p warrant-tests --bin warrant-bench            # full run
//! cargo run -p warrant-tests --bin warrant-bench -- --smoke           # CI smoke
//! ```
//!
//! Variants run interleaved in rounds so that machine noise hits all of them
//! alike; the table prints p50/p99 and the ratios against the targets, and a
//! JSON result is written beside it.

mod audit_index;
mod audit_scale;
mod breakdown;
mod fleet;
mod instr;
mod languages;
mod load;
mod loopback;
mod raw;
mod scenarios;
mod stats;
mod targets;
mod telemetry;

use std::path::PathBuf;

use serde_json::json;

/// Parsed arguments.
#[derive(Debug)]
pub struct Opts {
    /// A few hundred iterations only: proves the benchmark works.
    pub smoke: bool,
    /// Only the fleet measurements (PostgreSQL against SQLite).
    pub fleet_only: bool,
    /// Rounds of interleaved variants.
    pub rounds: usize,
    /// Calls per variant per round.
    pub per_round: usize,
    /// Where to write the JSON result.
    pub out: PathBuf,
    /// Only loop mediated calls for this many seconds (to run under a
    /// profiler such as `perf record`).
    pub profile: Option<u64>,
    /// Count instructions per stage under callgrind, this many operations
    /// each.
    pub instructions: Option<usize>,
    /// The child of `--instructions` (run under callgrind).
    pub instructions_child: Option<usize>,
    /// Only the audit chain at scale: verify a synthetic chain of this
    /// many records.
    pub audit_scale: Option<u64>,
}

fn parse() -> Result<Opts, String> {
    let mut smoke = false;
    let mut fleet_only = false;
    let mut rounds = None;
    let mut per_round = None;
    let mut out = warrant_tests::workspace_root().join("target/bench/warrant-bench.json");
    let mut profile = None;
    let mut instructions = None;
    let mut instructions_child = None;
    let mut audit_scale = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--smoke" => smoke = true,
            "--fleet" => fleet_only = true,
            "--rounds" => {
                rounds = Some(
                    args.next()
                        .and_then(|v| v.parse().ok())
                        .ok_or("--rounds needs a number")?,
                )
            }
            "--per-round" => {
                per_round = Some(
                    args.next()
                        .and_then(|v| v.parse().ok())
                        .ok_or("--per-round needs a number")?,
                )
            }
            "--out" => out = args.next().map(PathBuf::from).ok_or("--out needs a path")?,
            "--profile" => {
                profile = Some(
                    args.next()
                        .and_then(|v| v.parse().ok())
                        .ok_or("--profile needs seconds")?,
                )
            }
            "--instructions" => instructions = Some(200),
            "--instructions-child" => {
                instructions_child = Some(
                    args.next()
                        .and_then(|v| v.parse().ok())
                        .ok_or("--instructions-child needs a number")?,
                )
            }
            "--audit-scale" => {
                audit_scale = Some(
                    args.next()
                        .and_then(|v| v.parse().ok())
                        .ok_or("--audit-scale needs a number of records")?,
                )
            }
            "-h" | "--help" => {
                println!(
                    "warrant-bench [--smoke] [--fleet] [--rounds N] [--per-round N] [--out FILE] [--profile SECS] [--instructions] [--audit-scale N]\n\nMeasures the plain-wasmtime floor (typed calls, the host's engine settings) against\nthe mediated call (library, HTTP/JSON, MCP, and a raw loopback echo as the HTTP floor),\nthe cost of each stage against its budget, throughput at 1/2/64 callers, cold load\nfrom cache vs compile, the same tool in Rust, Python and TypeScript (compile, cached load, call), halt/quarantine latency from another process, and the fleet on\nPostgreSQL (a throwaway cluster: the PostgreSQL backend against SQLite, halt propagation\nacross two hosts).\n\n  --smoke          a few hundred iterations: proves it works (CI)\n  --fleet          only the fleet measurements (PostgreSQL against SQLite)\n  --profile SECS   only loop mediated calls, for `perf record`\n  --instructions   also count instructions per stage under valgrind's callgrind\n                   (repeatable on a noisy machine; needs valgrind)\n  --audit-scale N  only `audit verify` of a synthetic chain of N records\n                   (20 000 with --smoke)"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}; see --help")),
        }
    }
    Ok(Opts {
        smoke,
        fleet_only,
        profile,
        instructions,
        instructions_child,
        audit_scale,
        rounds: rounds.unwrap_or(if smoke { 2 } else { 12 }),
        per_round: per_round.unwrap_or(if smoke { 60 } else { 400 }),
        out,
    })
}

fn main() -> std::process::ExitCode {
    // The stop-button stage runs the CLI as a second process: this binary,
    // so that a fresh clone needs no other build.
    if let Some(code) = warrant_tests::embed_cli() {
        return code;
    }
    let opts = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    if let Some(n) = opts.instructions_child {
        return match instr::child(&rt, n) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("counted run failed: {e:#}");
                std::process::ExitCode::from(1)
            }
        };
    }
    if let Some(secs) = opts.profile {
        return match rt.block_on(scenarios::profile_loop(secs)) {
            Ok(n) => {
                println!("{n} mediated calls");
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("benchmark failed: {e:#}");
                std::process::ExitCode::from(1)
            }
        };
    }
    let run = async {
        if opts.audit_scale.is_some() {
            let n = audit_scale::records(opts.audit_scale, opts.smoke);
            Ok(json!({"audit_scale": audit_scale::measure(n)?}))
        } else if opts.fleet_only {
            scenarios::fleet_only(&opts).await
        } else {
            // The chain at scale (issue #33) closes every full run.
            let mut result = scenarios::run(&opts).await?;
            let n = audit_scale::records(None, opts.smoke);
            result["audit_scale"] = audit_scale::measure(n)?;
            Ok(result)
        }
    };
    match rt.block_on(run) {
        Ok(mut result) => {
            if let Some(dir) = opts.out.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            if let Some(n) = opts.instructions {
                let profile = opts.out.with_file_name("callgrind.out");
                match instr::run(n, &profile) {
                    Ok(v) => result["instructions_per_op"] = v,
                    Err(e) => {
                        eprintln!("instruction counts failed: {e:#}");
                        return std::process::ExitCode::from(1);
                    }
                }
            }
            let text = serde_json::to_string_pretty(&json!(result)).unwrap_or_default();
            match std::fs::write(&opts.out, text) {
                Ok(()) => println!("\nresult written to {}", opts.out.display()),
                Err(e) => eprintln!("cannot write {}: {e}", opts.out.display()),
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("benchmark failed: {e:#}");
            std::process::ExitCode::from(1)
        }
    }
}
