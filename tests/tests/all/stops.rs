//! The stop buttons pressed from another process: quarantine, halt and
//! plugin disable refuse new calls and cancel the ones in flight.

use std::time::Duration;

use serde_json::json;
use warrant::authz::Refusal;
use warrant::{CallError, CallFailure, CallResponse, Host};

use crate::accountability::{call, refusal, seen, soc};

async fn spin(host: &Host, t: &str) -> tokio::task::JoinHandle<CallResponse> {
    let (h, t) = (host.clone(), t.to_owned());
    let task = tokio::spawn(async move { call(&h, &t, "adversary.spin", json!({})).await });
    // Let it start running.
    for _ in 0..100 {
        if host.inflight() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    task
}

fn cancelled_because(r: &CallResponse, needle: &str) {
    match &r.outcome {
        Err(CallError::Failed(CallFailure::Cancelled(why))) => {
            assert!(why.contains(needle), "{why}")
        }
        other => panic!("expected a cancelled call, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quarantine_from_another_process_stops_the_agent_in_flight() {
    let fx = soc("1s").await;
    let host = fx.host().await;
    let t = fx.token("triage-bot", "INC-9", &[]).await;
    let other = fx.token("intel-bot", "INC-9", &[]).await;
    let running = spin(&host, &t).await;
    let out = fx.cli_as(
        "carol",
        &[
            "quarantine",
            "triage-bot",
            "--reason",
            "prompt injection suspected",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    cancelled_because(&running.await.unwrap(), "quarantined by carol");
    let r = call(&host, &t, "ioc-extract.extract", json!({"text": "x"})).await;
    assert!(
        matches!(refusal(&r), Refusal::Quarantined { by, reason, .. } if by == "carol" && reason == "prompt injection suspected")
    );
    assert!(
        call(&host, &other, "ioc-extract.extract", json!({"text": "x"}))
            .await
            .outcome
            .is_ok(),
        "other agents keep working"
    );
    // Only listed operators may release.
    assert!(
        !fx.cli_as("mallory", &["release", "triage-bot"])
            .status
            .success()
    );
    assert!(
        fx.cli_as("carol", &["release", "triage-bot"])
            .status
            .success()
    );
    seen(&host, "the release", |s| s.agents.is_empty()).await;
    assert!(
        call(&host, &t, "ioc-extract.extract", json!({"text": "x"}))
            .await
            .outcome
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn halt_from_another_process_stops_everything_until_resumed() {
    let fx = soc("1s").await;
    let host = fx.host().await;
    let t = fx.token("triage-bot", "INC-9", &[]).await;
    let other = fx.token("intel-bot", "INC-9", &[]).await;
    let out = fx.cli_as("mallory", &["halt"]);
    assert!(
        !out.status.success()
            && String::from_utf8_lossy(&out.stderr).contains("mallory may not halt"),
        "{out:?}"
    );
    let running = spin(&host, &t).await;
    assert!(
        fx.cli_as("carol", &["halt", "--reason", "incident bridge"])
            .status
            .success()
    );
    cancelled_because(&running.await.unwrap(), "halted by carol");
    for tok in [&t, &other] {
        let r = call(&host, tok, "ioc-extract.extract", json!({"text": "x"})).await;
        assert_eq!(refusal(&r).layer(), "halt");
    }
    assert!(fx.cli_as("carol", &["resume"]).status.success());
    seen(&host, "the resume", |s| s.halted.is_none()).await;
    assert!(
        call(&host, &other, "ioc-extract.extract", json!({"text": "x"}))
            .await
            .outcome
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_plugin_is_refused_and_its_calls_cancelled() {
    let fx = soc("1s").await;
    let host = fx.host().await;
    let t = fx.token("triage-bot", "INC-9", &[]).await;
    let running = spin(&host, &t).await;
    assert!(
        fx.cli_as(
            "carol",
            &[
                "plugin",
                "disable",
                "adversary",
                "--reason",
                "CVE in dependency"
            ]
        )
        .status
        .success()
    );
    cancelled_because(
        &running.await.unwrap(),
        "plugin adversary is disabled by carol",
    );
    let r = call(&host, &t, "adversary.echo", json!({"text": "x"})).await;
    assert_eq!(refusal(&r).layer(), "plugin-disabled");
    assert!(
        call(&host, &t, "ioc-extract.extract", json!({"text": "x"}))
            .await
            .outcome
            .is_ok()
    );
    assert!(
        fx.cli_as("carol", &["plugin", "enable", "adversary"])
            .status
            .success()
    );
    seen(&host, "the enable", |s| s.plugins.is_empty()).await;
    assert!(
        call(&host, &t, "adversary.echo", json!({"text": "x"}))
            .await
            .outcome
            .is_ok()
    );
}
