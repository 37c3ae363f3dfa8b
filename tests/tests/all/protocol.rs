//! JSON-RPC and MCP errors by the book, on streamable HTTP and stdio alike:
//! parse errors -32700, invalid requests (batches included) -32600, invalid
//! params -32602, unknown methods -32601 (a 2026-07-28 `initialize` among
//! them, 404 over HTTP); a session DELETE answered 204, an unknown one 404;
//! portable tool schemas; the Host check minds the port.

use std::io::{BufRead as _, Write as _};
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::support::{serve, soc};

const INIT: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;

const INIT_2026: &str = r#"{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}}}"#;

/// The bad messages and the code each must get (`None`: no answer).
fn cases() -> Vec<(&'static str, &'static str, Option<i64>)> {
    vec![
        ("not JSON", r#"{"jsonrpc":"2.0","#, Some(-32700)),
        (
            "a batch",
            r#"[{"jsonrpc":"2.0","id":9,"method":"tools/list"}]"#,
            Some(-32600),
        ),
        (
            "no jsonrpc",
            r#"{"id":10,"method":"tools/list"}"#,
            Some(-32600),
        ),
        (
            "tools/call without params",
            r#"{"jsonrpc":"2.0","id":11,"method":"tools/call"}"#,
            Some(-32602),
        ),
        (
            "tools/call with a number for a name",
            r#"{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"name":5}}"#,
            Some(-32602),
        ),
        (
            "tools/call with list arguments",
            r#"{"jsonrpc":"2.0","id":13,"method":"tools/call","params":{"name":"adversary__echo","arguments":[1]}}"#,
            Some(-32602),
        ),
        (
            "an unknown method",
            r#"{"jsonrpc":"2.0","id":14,"method":"tools/frobnicate"}"#,
            Some(-32601),
        ),
    ]
}

fn sse_or_json(text: &str) -> Value {
    let body = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .find(|l| !l.trim().is_empty())
        .unwrap_or(text);
    serde_json::from_str(body).unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_answers_every_bad_message_with_its_json_rpc_error() {
    let fx = soc().await;
    let srv = serve(&fx).await;
    let token = fx.token("triage-bot", "INC-2026-0101", &[]).await;
    let http = reqwest::Client::new();
    let post = |body: &str, session: Option<&str>| {
        let mut r = http
            .post(format!("{}/mcp", srv.base))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-11-25")
            .body(body.to_owned());
        if let Some(s) = session {
            r = r.header("mcp-session-id", s);
        }
        r.send()
    };
    // A malformed initialize is an invalid-params error, not "session id required".
    let r = post(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":5}}"#,
        None,
    )
    .await
    .unwrap();
    let body = sse_or_json(&r.text().await.unwrap());
    assert_eq!(body["error"]["code"], -32602, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("protocolVersion"),
        "{body}"
    );
    let r = post(INIT, None).await.unwrap();
    let session = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let _ = r.text().await;
    let r = post(
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        Some(&session),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    for (what, msg, code) in cases() {
        let r = post(msg, Some(&session)).await.unwrap();
        let status = r.status();
        let body = sse_or_json(&r.text().await.unwrap());
        assert_eq!(
            body["error"]["code"],
            json!(code),
            "{what}: {status} {body}"
        );
        assert!(
            !body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{what}"
        );
        let want = if matches!(code, Some(-32700 | -32600)) {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        assert_eq!(status, want, "{what}");
    }
    let batch = sse_or_json(
        &post(
            r#"[{"jsonrpc":"2.0","id":9,"method":"tools/list"}]"#,
            Some(&session),
        )
        .await
        .unwrap()
        .text()
        .await
        .unwrap(),
    );
    assert!(
        batch["error"]["message"]
            .as_str()
            .unwrap()
            .contains("batches are not supported"),
        "{batch}"
    );
    // Tool schemas a schema converter takes: no nullable type arrays.
    let listed = sse_or_json(
        &post(
            r#"{"jsonrpc":"2.0","id":20,"method":"tools/list"}"#,
            Some(&session),
        )
        .await
        .unwrap()
        .text()
        .await
        .unwrap(),
    );
    let tools = listed["result"]["tools"].as_array().unwrap();
    assert!(!tools.is_empty());
    fn nullable(v: &Value) -> bool {
        match v {
            Value::Object(m) => {
                m.get("type").is_some_and(Value::is_array) || m.values().any(nullable)
            }
            Value::Array(a) => a.iter().any(nullable),
            _ => false,
        }
    }
    for t in tools {
        assert!(
            !nullable(&t["inputSchema"]),
            "{}: {}",
            t["name"],
            t["inputSchema"]
        );
    }
    // Ending the session: 204 No Content.
    let r = http
        .delete(format!("{}/mcp", srv.base))
        .bearer_auth(&token)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // A session that ended (or never began) is not there to end: 404.
    for id in [session.as_str(), "no-such-session"] {
        let r = http
            .delete(format!("{}/mcp", srv.base))
            .bearer_auth(&token)
            .header("mcp-session-id", id)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{id}");
    }
    // 2026-07-28 has no handshake: an initialize in its style is a method
    // this server does not implement (404, -32601), not a malformed one.
    let r = http
        .post(format!("{}/mcp", srv.base))
        .bearer_auth(&token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("content-type", "application/json")
        .body(INIT_2026)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let body = sse_or_json(&r.text().await.unwrap());
    assert_eq!(body["error"]["code"], json!(-32601), "{body}");
    // The Host check minds the port (DNS rebinding to another local port).
    let port: u16 = srv.base.rsplit(':').next().unwrap().parse().unwrap();
    let r = http
        .get(format!("{}/healthz", srv.base))
        .header("host", format!("127.0.0.1:{}", port.wrapping_add(1)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = http
        .get(format!("{}/healthz", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    srv.running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_answers_every_bad_message_too_and_never_stays_silent() {
    let fx = soc().await;
    let token = fx.token("triage-bot", "INC-2026-0102", &[]).await;
    let mut child = Command::new(warrant_tests::fixture_cli())
        .args(["serve", "--stdio"])
        .env("WARRANT_CONFIG", fx.config_path())
        .env("WARRANT_TOKEN", &token)
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut send = |line: &str| {
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    };
    let mut read = || {
        let mut l = String::new();
        stdout.read_line(&mut l).unwrap();
        serde_json::from_str::<Value>(&l).unwrap_or_else(|e| panic!("{l:?}: {e}"))
    };
    // A malformed initialize: invalid params, and the session can still
    // begin properly.
    send(r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":5}}"#);
    let bad = read();
    assert_eq!(
        (bad["id"].clone(), bad["error"]["code"].clone()),
        (json!(0), json!(-32602)),
        "{bad}"
    );
    send(INIT_2026);
    let removed = read();
    assert_eq!(
        (removed["id"].clone(), removed["error"]["code"].clone()),
        (json!(2), json!(-32601)),
        "{removed}"
    );
    send(INIT);
    assert_eq!(read()["id"], 1);
    send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    for (what, msg, code) in cases() {
        send(msg);
        let answer = tokio::task::block_in_place(&mut read);
        assert_eq!(answer["error"]["code"], json!(code), "{what}: {answer}");
    }
    // Still serving.
    send(r#"{"jsonrpc":"2.0","id":30,"method":"tools/list"}"#);
    let listed = read();
    assert!(
        listed["result"]["tools"]
            .as_array()
            .is_some_and(|t| !t.is_empty()),
        "{listed}"
    );
    let _ = child.kill();
    let _ = child.wait();
}
