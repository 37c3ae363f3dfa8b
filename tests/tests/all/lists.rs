//! `notifications/tools/list_changed`: an MCP session (2025-11-25, over
//! streamable HTTP) and a 2026-07-28 `subscriptions/listen` stream hear
//! when a stop button changes what their token may see, and hear nothing
//! when a change does not touch it.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use warrant::operator::Stop;

use crate::api::support::{serve, soc};

/// Read the session's GET stream until `needle` or `wait` passes.
async fn heard(stream: &mut reqwest::Response, needle: &str, wait: Duration) -> bool {
    heard_text(stream, needle, wait).await.is_some()
}

/// [`heard`]: what was read, up to and with `needle`.
async fn heard_text(
    stream: &mut reqwest::Response,
    needle: &str,
    wait: Duration,
) -> Option<String> {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.chunk()).await {
            Ok(Ok(Some(c))) => {
                text.push_str(&String::from_utf8_lossy(&c));
                if text.contains(needle) {
                    return Some(text);
                }
            }
            _ => return None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_hears_when_its_tools_change() {
    let fx = soc().await;
    let srv = serve(&fx).await;
    let token = fx.token("intel-bot", "INC-2026-0400", &[]).await;
    let http = reqwest::Client::new();
    let post = |body: serde_json::Value, session: Option<String>| {
        let mut r = http
            .post(format!("{}/mcp", srv.base))
            .bearer_auth(&token)
            .header("accept", "application/json, text/event-stream")
            .json(&body);
        if let Some(s) = session {
            r = r
                .header("mcp-session-id", s)
                .header("mcp-protocol-version", "2025-11-25");
        }
        r.send()
    };
    let init = post(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "lists-test", "version": "1"}}}),
        None,
    )
    .await
    .unwrap();
    let session = init.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let caps = init.text().await.unwrap();
    assert!(caps.contains("\"listChanged\":true"), "{caps}");
    let r = post(
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        Some(session.clone()),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let mut stream = http
        .get(format!("{}/mcp", srv.base))
        .bearer_auth(&token)
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-11-25")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);

    // Disabling a plugin this agent cannot use changes nothing it sees.
    fx.stop("carol", &Stop::Disable("case-note".into()), "maintenance")
        .await
        .unwrap();
    assert!(
        !heard(&mut stream, "tools/list_changed", Duration::from_secs(2)).await,
        "told of a change it cannot see"
    );
    // Disabling the plugin it uses does.
    fx.stop("carol", &Stop::Disable("ioc-extract".into()), "suspicious")
        .await
        .unwrap();
    assert!(
        heard(
            &mut stream,
            "notifications/tools/list_changed",
            Duration::from_secs(10)
        )
        .await,
        "not told its tools changed"
    );
    // And so does enabling it again.
    fx.stop("carol", &Stop::Enable("ioc-extract".into()), "cleared")
        .await
        .unwrap();
    assert!(
        heard(
            &mut stream,
            "notifications/tools/list_changed",
            Duration::from_secs(10)
        )
        .await
    );
    srv.running.shutdown().await.unwrap();
}

/// 2026-07-28: a stateless client opens a `subscriptions/listen` stream;
/// it is acknowledged, and told (tagged with the subscription's id) when
/// what its token may see changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stateless_client_listens_for_tool_list_changes() {
    let fx = soc().await;
    let srv = serve(&fx).await;
    let token = fx.token("intel-bot", "INC-2026-0401", &[]).await;
    let mut stream = reqwest::Client::new()
        .post(format!("{}/mcp", srv.base))
        .bearer_auth(&token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "subscriptions/listen")
        .json(
            &json!({"jsonrpc": "2.0", "id": "sub-7", "method": "subscriptions/listen",
            "params": {"notifications": {"toolsListChanged": true},
                "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                          "io.modelcontextprotocol/clientCapabilities": {}}}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(
        heard(
            &mut stream,
            "notifications/subscriptions/acknowledged",
            Duration::from_secs(5)
        )
        .await,
        "the subscription was not acknowledged"
    );
    // A change it cannot see: nothing.
    fx.stop("carol", &Stop::Disable("case-note".into()), "maintenance")
        .await
        .unwrap();
    assert!(
        !heard(&mut stream, "tools/list_changed", Duration::from_secs(2)).await,
        "told of a change it cannot see"
    );
    // Its own tools change: told, with the subscription's id.
    fx.stop("carol", &Stop::Disable("ioc-extract".into()), "suspicious")
        .await
        .unwrap();
    let text = heard_text(
        &mut stream,
        "notifications/tools/list_changed",
        Duration::from_secs(10),
    )
    .await
    .expect("not told its tools changed");
    let line = text
        .lines()
        .find(|l| l.contains("notifications/tools/list_changed"))
        .unwrap();
    assert!(line.contains("sub-7"), "{line}");
    srv.running.shutdown().await.unwrap();
}
