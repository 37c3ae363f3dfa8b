//! A client that goes away mid-call, and a server that stops with calls in
//! flight: the calls are cancelled, audited, and free their instances.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::support::{Server, records, serve, soc};

async fn spin(
    srv: &Server,
    token: &str,
    client: reqwest::Client,
) -> tokio::task::JoinHandle<reqwest::Result<reqwest::Response>> {
    let url = format!("{}/v1/tools/adversary.spin/call", srv.base);
    let token = token.to_owned();
    let task = tokio::spawn(async move {
        client
            .post(url)
            .bearer_auth(token)
            .json(&json!({"input": {}}))
            .send()
            .await
    });
    for _ in 0..500 {
        if srv.host.inflight() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(srv.host.inflight(), 1, "the call is running");
    task
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_goes_away_cancels_its_call_and_shutdown_cancels_the_rest() {
    let fx = soc().await;
    let srv = serve(&fx).await;
    let token = fx.token("triage-bot", "INC-3", &[]).await;
    // The client gives up: the call is cancelled, audited, its instance freed.
    let gone = spin(&srv, &token, reqwest::Client::new()).await;
    gone.abort();
    for _ in 0..500 {
        if srv.host.inflight() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(srv.host.inflight(), 0, "no call is left running");
    let cancelled = records(&fx)
        .into_iter()
        .find(|r| r.kind == "call" && r.str("outcome") == Some("cancelled"))
        .expect("audited");
    assert!(
        cancelled.str("error").unwrap().contains("went away"),
        "{:?}",
        cancelled.data
    );

    // Shutdown: the call in flight is cancelled and answered, the chain flushed.
    let running = spin(&srv, &token, reqwest::Client::new()).await;
    srv.running.shutdown().await.unwrap();
    let answer = running.await.unwrap().unwrap();
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = answer.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("shutting down")
            || body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("stopping"),
        "{body}"
    );
    assert_eq!(srv.host.inflight(), 0);
    let verified = fx.cli(&["audit", "verify"]);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
}
