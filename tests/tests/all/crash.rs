//! Crash consistency: a serving host killed (SIGKILL) in the middle of a
//! load of durable calls loses nothing it acknowledged — after a restart,
//! `audit verify` passes, every call a client saw answered has its outcome
//! record, and every call that was running when the host died is recorded
//! as interrupted (none is left decided without an outcome).

use std::collections::BTreeSet;
use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use warrant_tests::{Fixture, PluginSpec};

/// Start `warrant serve`, killed at the crash point `crash_at` if given
/// (`WARRANT_TEST_CRASH_AT`); the caller kills or stops, and waits for, it.
#[allow(clippy::zombie_processes)]
pub(crate) fn serve(fx: &Fixture, crash_at: Option<&str>) -> (Child, String) {
    let mut c = Command::new(warrant_tests::fixture_cli());
    c.args(["serve", "--listen", "127.0.0.1:0"])
        .env("WARRANT_CONFIG", fx.config_path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if warrant_tests::embeds_cli() {
        c.env(warrant_tests::EMBEDDED_CLI_ENV, "1");
    }
    if let Some(at) = crash_at {
        c.env("WARRANT_TEST_CRASH_AT", at);
    }
    let mut child = c.spawn().unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "serve exited before listening"
        );
        if let Some(rest) = line.trim().strip_prefix("warrant: serving on ") {
            let base = rest.to_owned();
            std::thread::spawn(move || for _ in err.lines() {});
            return (child, base);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_killed_mid_load_loses_no_acknowledged_outcome() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"])
        .build()
        .await;
    let token = fx.token("bot", "T-1", &[]).await;
    let (mut child, base) = serve(&fx, None);
    let acked: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let http = reqwest::Client::new();
    let mut workers = Vec::new();
    for w in 0..8 {
        let (http, base, token, acked) = (
            http.clone(),
            base.clone(),
            token.clone(),
            Arc::clone(&acked),
        );
        workers.push(tokio::spawn(async move {
            for i in 0.. {
                let r = http
                    .post(format!("{base}/v1/tools/adversary.echo/call"))
                    .bearer_auth(&token)
                    .json(&json!({"input": {"text": format!("w{w}-{i}")}}))
                    .send()
                    .await;
                let Ok(r) = r else { break };
                let ok = r.status().is_success();
                let Ok(body) = r.json::<Value>().await else {
                    break;
                };
                if ok && let Some(id) = body["call_id"].as_str() {
                    acked.lock().unwrap().insert(id.to_owned());
                }
            }
        }));
    }
    // Let the load run; one call is sure to be running (it spins until its
    // timeout); then kill the host without warning.
    while acked.lock().unwrap().len() < 40 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let spinning = {
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        tokio::spawn(async move {
            http.post(format!("{base}/v1/tools/adversary.spin/call"))
                .bearer_auth(&token)
                .json(&json!({"input": {"n": 0}}))
                .send()
                .await
        })
    };
    // The spinning call is decided and written ahead to the server's
    // journal before its tool runs.
    let state = fx.path("state");
    let spin_decided = || {
        crate::hardening::written_ahead(&state)
            .iter()
            .any(|(_, tool)| tool == "adversary.spin")
    };
    while !spin_decided() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Every call the dead server decided and let run: in its journal.
    let decided: BTreeSet<String> = crate::hardening::written_ahead(&state)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    for w in workers {
        let _ = w.await;
    }
    let _ = spinning.await;
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 40);
    // Restart: the writer recovers a torn tail, then serves again.
    let (mut child, base) = serve(&fx, None);
    let r = http
        .post(format!("{base}/v1/tools/adversary.echo/call"))
        .bearer_auth(&token)
        .json(&json!({"input": {"text": "after the crash"}}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    // A graceful stop (SIGTERM) then verify.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    child.wait().unwrap();
    let out = fx.cli(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let completed: BTreeSet<String> = crate::hardening::records(&fx)
        .into_iter()
        .filter(|r| r.kind == "call" && r.str("outcome") == Some("ok"))
        .filter_map(|r| r.str("call_id").map(str::to_owned))
        .collect();
    let missing: Vec<&String> = acked.difference(&completed).collect();
    assert!(
        missing.is_empty(),
        "acknowledged but without an outcome record: {missing:?}"
    );
    // No call is left silent: each call decided and written ahead has its
    // record, or is recorded as interrupted by the crash — the spinning one
    // among them.
    let records = crate::hardening::records(&fx);
    let ended: BTreeSet<String> = records
        .iter()
        .filter(|r| r.kind == "call" || r.kind == "call.interrupted")
        .filter_map(|r| r.str("call_id").map(str::to_owned))
        .collect();
    assert!(!decided.is_empty());
    let silent: Vec<&String> = decided.iter().filter(|c| !ended.contains(*c)).collect();
    assert!(silent.is_empty(), "decided, and then nothing: {silent:?}");
    let interrupted: Vec<_> = records
        .iter()
        .filter(|r| r.kind == "call.interrupted")
        .collect();
    assert!(
        interrupted
            .iter()
            .any(|r| r.str("tool") == Some("adversary.spin")),
        "{interrupted:?}"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("without an outcome"), "{text}");
}
