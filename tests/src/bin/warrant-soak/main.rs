//! `warrant-soak`: many agents' mixed load on one host for minutes, with
//! faults injected, then the promises checked. Not part of CI.
//!
//! ```text
//! cargo run --release -p warrant-tests --bin warrant-soak -- --minutes 10
//! ```
//!
//! Load: allowed calls, calls refused by scope, grant and policy, hostile
//! inputs (duplicate keys, not JSON, deep nesting, oversized), trapping and
//! timing-out plugins, high-impact calls held and approved by a signed
//! operator, HTTP clients that disconnect mid-call. Faults: the audit
//! volume full for a moment, the state database locked, a plugin disabled
//! and re-enabled, halt and resume, tokens revoked and re-issued. At the
//! end: the host still serves, peak memory is printed, the chain verifies,
//! and every call a client saw acknowledged has its outcome record.
//! Needs root (the audit volume is a small tmpfs).

mod faults;
mod load;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use warrant::api::{ServeOptions, serve_http};
use warrant::audit::{AuditKeys, AuditPaths, VerifyKeys, VerifyOptions, verify_chain};
use warrant_tests::{Fixture, PluginSpec, SmallVolume};

/// What the run saw.
#[derive(Debug, Default)]
pub struct Tally {
    /// Calls by outcome kind (`ok`, `refused`, `held`, `trap`, …).
    pub outcomes: Mutex<std::collections::BTreeMap<String, u64>>,
    /// Call ids a client got a successful answer for.
    pub acked: Mutex<BTreeSet<String>>,
    /// Faults injected, by kind.
    pub faults: Mutex<std::collections::BTreeMap<&'static str, u64>>,
}

impl Tally {
    fn count(&self, kind: &str) {
        *self
            .outcomes
            .lock()
            .unwrap()
            .entry(kind.to_owned())
            .or_default() += 1;
    }
}

const POLICY: &str = r#"
@id("permit-all")
permit (principal, action, resource);

@id("high-impact-needs-approval")
forbid (principal, action, resource) when { context.impact == "high" } unless { context.approved };

@id("no-forbidden-echo")
forbid (principal, action == Action::"adversary.echo", resource)
  when { context.args has text && context.args.text like "*forbidden*" };
"#;

fn status(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn peak_rss_kib() -> u64 {
    status("VmHWM:")
}

/// Every 30 s: the resident memory and the threads now — to show that
/// neither grows with the run's length.
fn sample_memory(stop: Arc<AtomicBool>, started: Instant) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut next = Duration::ZERO;
        while !stop.load(Ordering::Relaxed) {
            if started.elapsed() >= next {
                println!(
                    "  at {:>5.1} min: RSS {:.1} MiB, {} threads",
                    started.elapsed().as_secs_f64() / 60.0,
                    status("VmRSS:") as f64 / 1024.0,
                    status("Threads:")
                );
                next += Duration::from_secs(30);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    })
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let mut minutes = 10.0f64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--minutes" => minutes = args.next().and_then(|v| v.parse().ok()).unwrap_or(minutes),
            "-h" | "--help" => {
                println!(
                    "warrant-soak [--minutes N]   (default 10; needs root for a tmpfs audit volume)"
                );
                return Ok(());
            }
            other => anyhow::bail!("unknown argument {other}; see --help"),
        }
    }
    let mut b =
        Fixture::builder()
            .plugin(PluginSpec::new("adversary").limits("timeout = \"2s\""))
            .plugin(PluginSpec::new("ioc-extract"))
            .plugin(PluginSpec::new("case-note").grants(
                "files = [{ host = \"cases\", guest = \"/cases\", access = \"read-write\" }]",
            ))
            .policy(POLICY)
            .host_lines("audit-dir = \"vol/audit\"");
    for i in 0..8 {
        b = b.agent(
            &format!("agent-{i}"),
            &["adversary.*", "ioc-extract.*", "case-note.*"],
        );
    }
    let fx = b.build().await;
    let volume = SmallVolume::mount(&fx.path("vol"), 3 * 1024 * 1024 * 1024);
    let host = fx.host().await;
    let server = serve_http(
        host.clone(),
        ServeOptions {
            listen: "127.0.0.1:0".parse()?,
            handle_signals: false,
            ..ServeOptions::default()
        },
    )
    .await?;
    let base = format!("http://{}", server.local_addr());
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(minutes * 60.0);
    println!("warrant-soak: {minutes} min against {base}, audit on a 3 GiB tmpfs");
    let tokens = load::Tokens::new(&fx, 8).await;
    let mut tasks = Vec::new();
    for w in 0..16 {
        tasks.push(tokio::spawn(load::worker(
            w,
            host.clone(),
            base.clone(),
            tokens.clone(),
            Arc::clone(&tally),
            Arc::clone(&stop),
        )));
    }
    tasks.push(tokio::spawn(load::approver(
        host.clone(),
        Arc::new(fx.signer("carol")),
        Arc::clone(&stop),
    )));
    let sampler = sample_memory(Arc::clone(&stop), started);
    let faults = faults::inject(&fx, &volume, &host, &tokens, &tally, &stop, deadline);
    faults.await;
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    for t in tasks {
        let _ = t.await;
    }
    // Still serving.
    let t = fx.token("agent-0", "SOAK-END", &[]).await;
    let last = load::call(
        &host,
        &t,
        "ioc-extract.extract",
        &serde_json::json!({"text": "198.51.100.7"}),
    )
    .await;
    let serving = last.outcome.is_ok();
    let rss = peak_rss_kib();
    server.shutdown().await?;
    host.shutdown("the soak is over").await;
    let keys = AuditKeys::load_or_create(&warrant::statedir::StateDir::create(&fx.path("state"))?)?;
    let paths = AuditPaths::in_dir(&fx.path("vol/audit"));
    let vkeys = VerifyKeys {
        mac: Some(keys.mac.clone()),
        checkpoint: Some(keys.checkpoint.verifying_key()),
        operators: Some(fx.config().operators.clone()),
        agents: Some(fx.config().agents.clone()),
        ..VerifyKeys::default()
    };
    let verified = verify_chain(
        &paths.log,
        &paths.checkpoints,
        &vkeys,
        &VerifyOptions::default(),
        &mut |_, _| {},
    );
    let records = warrant::audit::read_records(&paths.log, &warrant::audit::Filter::default())?;
    let completed: BTreeSet<String> = records
        .iter()
        .filter(|r| r.kind == "call" && r.str("outcome") == Some("ok"))
        .filter_map(|r| r.str("call_id").map(str::to_owned))
        .collect();
    let acked = tally.acked.lock().unwrap().clone();
    let missing = acked.difference(&completed).count();
    let took = started.elapsed();
    let total: u64 = tally.outcomes.lock().unwrap().values().sum();
    println!(
        "\nran {:.1} min: {total} calls ({:.0}/s)",
        took.as_secs_f64() / 60.0,
        total as f64 / took.as_secs_f64()
    );
    for (k, n) in tally.outcomes.lock().unwrap().iter() {
        println!("  {k:<28} {n}");
    }
    println!("faults injected:");
    for (k, n) in tally.faults.lock().unwrap().iter() {
        println!("  {k:<28} {n}");
    }
    println!("peak RSS: {:.1} MiB", rss as f64 / 1024.0);
    println!("host still serving: {serving}");
    match &verified {
        Ok(s) => println!(
            "audit chain: {} records intact, {} checkpoints, {} operator signatures",
            s.records,
            s.checkpoints,
            s.signed.len()
        ),
        Err(e) => println!("audit chain: TAMPERED: {e}"),
    }
    println!(
        "acknowledged calls: {}, without an outcome record: {missing}",
        acked.len()
    );
    drop(volume);
    anyhow::ensure!(
        serving && verified.is_ok() && missing == 0,
        "a promise did not hold"
    );
    println!("all promises held");
    Ok(())
}
