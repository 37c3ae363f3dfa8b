//! Finding 11: memory under the soak doubled between two rounds (peak RSS
//! 68 → 123 MiB over 10 minutes). The cause: the group-commit leader gave
//! its worker thread away for each fsync (`block_in_place`), so under load
//! the runtime kept starting replacement threads — each new thread a new
//! malloc arena, each arena keeping its own high-water mark. The fsync now
//! happens on one long-lived thread of the audit writer's own, so the
//! number of threads a loaded host runs is fixed. This test pins that:
//! under a load of durable calls from many clients, a serving host's
//! thread count stays at what it started with, plus nothing.

use std::io::BufRead as _;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde_json::json;
use warrant_tests::{Fixture, PluginSpec};

fn status(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loaded_host_runs_a_fixed_number_of_threads() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"])
        .build()
        .await;
    let token = fx.token("bot", "T-1", &[]).await;
    let mut child = Command::new(warrant_tests::fixture_cli())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("WARRANT_CONFIG", fx.config_path())
        .env("RUST_LOG", "warn")
        .env("TOKIO_WORKER_THREADS", "2")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let base = loop {
        line.clear();
        assert!(err.read_line(&mut line).unwrap() > 0, "serve exited");
        if let Some(rest) = line.trim().strip_prefix("warrant: serving on ") {
            break rest.to_owned();
        }
    };
    std::thread::spawn(move || for _ in err.lines() {});
    let http = reqwest::Client::new();
    // Warm up: every thread a quiet host needs exists after one call.
    let r = http
        .post(format!("{base}/v1/tools/adversary.echo/call"))
        .bearer_auth(&token)
        .json(&json!({"input": {"text": "warm"}}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let idle = status(pid, "Threads:");
    let (done, most) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    let sampler = {
        let (done, most) = (Arc::clone(&done), Arc::clone(&most));
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                most.fetch_max(status(pid, "Threads:"), Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        })
    };
    let mut load = Vec::new();
    for w in 0..32 {
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        load.push(tokio::spawn(async move {
            for i in 0..25 {
                let r = http
                    .post(format!("{base}/v1/tools/adversary.echo/call"))
                    .bearer_auth(&token)
                    .json(&json!({"input": {"text": format!("w{w}-{i}")}}))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
            }
        }));
    }
    for l in load {
        l.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    sampler.join().unwrap();
    let peak = most.load(Ordering::SeqCst);
    let rss = status(pid, "VmHWM:");
    eprintln!("threads idle {idle}, peak under load {peak}; peak RSS {rss} KiB");
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = child.wait();
    assert!(
        peak <= idle,
        "the host started threads under load: {idle} when idle, {peak} at the peak"
    );
    let out = fx.cli(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
