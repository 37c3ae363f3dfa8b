//! Finding 6: key revocation and expiry are live. A reload — asked for by
//! an operator (`warrant reload`), by SIGHUP, or by a change of the config
//! file — re-verifies every plugin under the new trust, unloads what no
//! longer verifies, cancels its calls in flight, and is recorded.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use warrant::authz::Refusal;
use warrant::{CallError, CallFailure, CallRequest};
use warrant_tests::{Fixture, PluginSpec};

use super::{call, echo, records};

async fn fixture() -> Fixture {
    Fixture::builder()
        .plugin(PluginSpec::new("adversary").limits("timeout = \"60s\""))
        .plugin(PluginSpec::new("ioc-extract"))
        .agent("bot", &["adversary.*", "ioc-extract.*"])
        .build()
        .await
}

fn revoke_publisher_key(fx: &Fixture) {
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    std::fs::write(
        fx.config_path(),
        cfg.replace(
            "[[trust.keys]]",
            "[trust]\nrevoked = [\"test-publisher\"]\n\n[[trust.keys]]",
        ),
    )
    .unwrap();
}

async fn until(mut cond: impl FnMut() -> bool, what: &str) {
    for _ in 0..400 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{what} did not happen");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_reload_unloads_what_no_longer_verifies_and_cancels_its_calls() {
    let fx = fixture().await;
    let host = fx.host().await;
    let t = fx.token("bot", "T-1", &[]).await;
    let (h, tk) = (host.clone(), t.clone());
    let running = tokio::spawn(async move {
        h.call(CallRequest {
            token: tk,
            tool: "adversary.spin".into(),
            input: "{}".into(),
            channel: "lib",
            ..CallRequest::default()
        })
        .await
    });
    until(|| host.inflight() == 1, "the call starting").await;
    revoke_publisher_key(&fx);
    // Without a reload the running host still trusts the key ...
    assert!(
        call(&host, &t, "ioc-extract.extract", r#"{"text":"x"}"#)
            .await
            .outcome
            .is_ok()
    );
    // ... an operator asks every host on this state to reload.
    let out = fx.cli_as("mallory", &["reload"]);
    assert!(!out.status.success(), "only operators may reload");
    let out = fx.cli_as("carol", &["reload"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    match running.await.unwrap().outcome {
        Err(CallError::Failed(CallFailure::Cancelled(why))) => {
            // In development mode the edited files took effect as soon as
            // a process read them (here mallory's refused command): a
            // reload under the new release, before carol's request.
            assert!(why.contains("unloaded by a reload ("), "{why}")
        }
        other => panic!("expected the call to be cancelled, got {other:?}"),
    }
    until(
        || host.registry().get("ioc-extract").is_none(),
        "the unload",
    )
    .await;
    let r = call(&host, &t, "ioc-extract.extract", r#"{"text":"x"}"#).await;
    assert!(
        matches!(r.outcome, Err(CallError::Refused(Refusal::UnknownTool(_)))),
        "{:?}",
        r.outcome
    );
    // Carol's reload, too, is applied (after the release's own).
    until(
        || {
            records(&fx)
                .iter()
                .any(|r| r.kind == "config.reloaded" && r.str("trigger") == Some("operator"))
        },
        "carol's reload",
    )
    .await;
    host.shutdown("checked").await;
    let recs = records(&fx);
    let reload = recs
        .iter()
        .find(|r| r.kind == "config.reloaded" && r.str("trigger") == Some("operator"))
        .unwrap();
    assert_eq!(reload.str("by"), Some("carol"));
    assert!(
        recs.iter().any(|r| r.kind == "config.reloaded"
            && r.data["unloaded"] == json!(["adversary", "ioc-extract"])),
        "no reload unloaded the plugins"
    );
    assert!(
        recs.iter()
            .any(|r| r.kind == "plugin.refused" && r.str("check") == Some("signature"))
    );
    let out = fx.cli(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `warrant serve` as a process of its own; its base URL. The caller waits
/// for the child.
#[allow(clippy::zombie_processes)]
fn serve(fx: &Fixture) -> (Child, String) {
    let mut child = fx
        .cli_command(&["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    loop {
        let mut line = String::new();
        if err.read_line(&mut line).unwrap() == 0 {
            let _ = child.wait();
            panic!("serve exited");
        }
        if let Some(rest) = line.trim().strip_prefix("warrant: serving on ") {
            std::thread::spawn(move || for _ in err.lines() {});
            return (child, rest.to_owned());
        }
    }
}

async fn extract(base: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{base}/v1/tools/ioc-extract.extract/call"))
        .bearer_auth(token)
        .json(&json!({"input": {"text": "x"}}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiring_key_sighup_and_a_config_change_each_reload_a_running_server() {
    let fx = fixture().await;
    // The publisher key expires in a few seconds, while `warrant serve` runs.
    let expiry = chrono::Utc::now() + chrono::Duration::seconds(5);
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    std::fs::write(
        fx.config_path(),
        cfg.replace(
            "id = \"test-publisher\"\n",
            &format!(
                "id = \"test-publisher\"\nnot-after = \"{}\"\n",
                expiry.to_rfc3339()
            ),
        ),
    )
    .unwrap();
    let t = fx.token("bot", "T-1", &[]).await;
    let (mut child, base) = serve(&fx);
    assert_eq!(extract(&base, &t).await, 200);
    let mut status = 200;
    for _ in 0..200 {
        status = extract(&base, &t).await;
        if status != 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, 404, "the plugins of the expired key are unloaded");
    // A change of the config file is picked up without a signal: trust the
    // key again (no expiry) and the plugins come back.
    std::fs::write(fx.config_path(), &cfg).unwrap();
    for _ in 0..100 {
        status = extract(&base, &t).await;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, 200, "the config change was not picked up");
    // SIGHUP reloads too.
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success()
    );
    let signalled = || {
        records(&fx)
            .iter()
            .any(|r| r.kind == "config.reloaded" && r.str("trigger") == Some("signal"))
    };
    until(signalled, "the SIGHUP reload").await;
    assert_eq!(extract(&base, &t).await, 200);
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    let _ = child.wait();
    let triggers: Vec<Value> = records(&fx)
        .iter()
        .filter(|r| r.kind == "config.reloaded")
        .map(|r| r.data["trigger"].clone())
        .collect();
    for want in ["expiry", "file-change", "signal"] {
        assert!(
            triggers.contains(&json!(want)),
            "{want} missing from {triggers:?}"
        );
    }
    let out = fx.cli(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let _ = echo();
}
