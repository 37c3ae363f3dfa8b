//! Approval notifications: a held call is announced to every configured
//! webhook — signed, retried when the receiver fails, in warrant's JSON or
//! a Slack-compatible body with agent-controlled text escaped — and the
//! arguments stay out unless the operator asks for them. Webhooks that
//! would send this over plain HTTP beyond loopback, or with a short secret,
//! are refused at load.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use warrant::authz::Refusal;

use crate::accountability::{call, refusal, soc};

const SECRET: &str = "0123456789abcdef0123456789abcdef-test";

/// One request a receiver got: its path, headers and body.
type Delivery = (String, HeaderMap, Vec<u8>);

#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<Delivery>>>);

/// A receiver on loopback: `/flaky` fails its first request with 500,
/// `/ok` and `/slack` accept everything.
async fn receiver() -> (u16, Received) {
    let got = Received::default();
    let record = |path: &'static str, got: Received| {
        move |headers: HeaderMap, body: axum::body::Bytes| {
            let got = got.clone();
            async move {
                let mut all = got.0.lock().unwrap();
                let first = !all.iter().any(|(p, _, _)| p == path);
                all.push((path.to_owned(), headers, body.to_vec()));
                if path == "/flaky" && first {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }
    };
    let app = axum::Router::new()
        .route("/flaky", axum::routing::post(record("/flaky", got.clone())))
        .route("/slack", axum::routing::post(record("/slack", got.clone())));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, got)
}

fn verify(headers: &HeaderMap, body: &[u8]) {
    let ts = headers["x-warrant-timestamp"].to_str().unwrap();
    let mut msg = format!("{ts}.").into_bytes();
    msg.extend_from_slice(body);
    let want = format!(
        "v1={}",
        hex(&warrant::keys::hmac_sha256(SECRET.as_bytes(), &msg))
    );
    assert_eq!(headers["x-warrant-signature"].to_str().unwrap(), want);
    // A forged body does not verify under the same header.
    let mut forged = format!("{ts}.").into_bytes();
    forged.extend_from_slice(b"{}");
    assert_ne!(
        format!(
            "v1={}",
            hex(&warrant::keys::hmac_sha256(SECRET.as_bytes(), &forged))
        ),
        want
    );
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_call_is_announced_signed_and_retried() {
    let (port, got) = receiver().await;
    let fx = soc("1s").await;
    std::fs::write(fx.path("webhook.secret"), SECRET).unwrap();
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    std::fs::write(
        fx.config_path(),
        format!(
            "{cfg}\n[[webhooks]]\nurl = \"http://127.0.0.1:{port}/flaky\"\nsecret-file = \"webhook.secret\"\n\n\
             [[webhooks]]\nurl = \"http://localhost:{port}/slack\"\nsecret-file = \"webhook.secret\"\nformat = \"slack\"\ninclude-arguments = true\n"
        ),
    )
    .unwrap();
    let host = fx.host().await;
    let t = fx.token("triage-bot", "INC-2026-0077", &[]).await;
    let args = json!({"case_id": "INC-2026-0077", "note": "<!channel> see <http://evil.example|here> & more"});
    let r = call(&host, &t, "case-note.append", args).await;
    let Refusal::PendingApproval { approval_id, .. } = refusal(&r).clone() else {
        panic!("{:?}", r.outcome)
    };

    // The flaky receiver gets the notification again after its failure.
    for _ in 0..200 {
        let n = got
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _, _)| p == "/flaky")
            .count();
        if n >= 2 && got.0.lock().unwrap().iter().any(|(p, _, _)| p == "/slack") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all = got.0.lock().unwrap().clone();
    let flaky: Vec<_> = all.iter().filter(|(p, _, _)| p == "/flaky").collect();
    assert_eq!(flaky.len(), 2, "one failed attempt, one retry");
    for (i, (_, headers, body)) in flaky.iter().enumerate() {
        verify(headers, body);
        assert_eq!(
            headers["x-warrant-delivery"].to_str().unwrap(),
            format!("{approval_id}-{}", i + 1)
        );
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(v["event"], "approval.requested");
        assert_eq!(v["approval_id"], approval_id.as_str());
        assert_eq!(v["agent"], "triage-bot");
        assert_eq!(v["task"], "INC-2026-0077");
        assert_eq!(v["tool"], "case-note.append");
        assert_eq!(v["impact"], "high");
        assert_eq!(v["approvers"], json!(["carol", "dave"]));
        // The arguments stay out unless asked for; their digest is there.
        assert!(v.get("arguments").is_none(), "{v}");
        assert!(!v["args_digest"].as_str().unwrap().is_empty(), "{v}");
    }
    let (_, headers, body) = all.iter().find(|(p, _, _)| p == "/slack").unwrap();
    verify(headers, body);
    let text = serde_json::from_slice::<Value>(body).unwrap()["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        text.contains("*triage-bot*") && text.contains(&approval_id),
        "{text}"
    );
    // What the agent wrote cannot mention a channel or make a link.
    assert!(
        text.contains("&lt;!channel&gt;") && text.contains("&amp; more"),
        "{text}"
    );
    assert!(
        !text.contains("<!channel>") && !text.contains("<http://evil"),
        "{text}"
    );
    host.shutdown("done").await;
}

#[tokio::test]
async fn webhooks_that_would_leak_are_refused_at_load() {
    let fx = soc("1s").await;
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    std::fs::write(fx.path("short.secret"), "too short").unwrap();
    std::fs::write(fx.path("good.secret"), SECRET).unwrap();
    for (hook, needle) in [
        (
            "url = \"http://hooks.example.org/x\"\nsecret-file = \"good.secret\"",
            "webhooks[0].url",
        ),
        (
            "url = \"https://hooks.example.org/x\"\nsecret-file = \"short.secret\"",
            "at least 32 characters",
        ),
        (
            "url = \"https://hooks.example.org/x\"\nsecret-file = \"missing.secret\"",
            "webhooks[0].secret-file",
        ),
        (
            "url = \"https://hooks.example.org/x\"\nsecret-file = \"good.secret\"\nformat = \"teams\"",
            "webhooks[0].format",
        ),
    ] {
        std::fs::write(fx.config_path(), format!("{cfg}\n[[webhooks]]\n{hook}\n")).unwrap();
        let e = warrant::HostConfig::load(&fx.config_path())
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{needle}: {e}");
    }
    std::fs::write(
        fx.config_path(),
        format!("{cfg}\n[[webhooks]]\nurl = \"https://hooks.example.org/x\"\nsecret-file = \"good.secret\"\n"),
    )
    .unwrap();
    assert_eq!(
        warrant::HostConfig::load(&fx.config_path())
            .unwrap()
            .webhooks
            .len(),
        1
    );
}

/// An MCP client that asks for progress hears, while its call is held,
/// which approval it waits for; the answer then names the same request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_mcp_call_reports_progress_while_it_waits() {
    use std::io::{BufRead as _, Write as _};
    let fx = soc("3s").await;
    let token = fx.token("triage-bot", "INC-2026-0078", &[]).await;
    let mut child = std::process::Command::new(warrant_tests::fixture_cli())
        .args(["serve", "--stdio"])
        .env("WARRANT_CONFIG", fx.config_path())
        .env("WARRANT_TOKEN", &token)
        .env("RUST_LOG", "error")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut send = |v: Value| {
        stdin.write_all(format!("{v}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
    };
    send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}),
    );
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    send(
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "case-note__append",
        "arguments": {"case_id": "INC-2026-0078", "note": "isolate host"},
        "_meta": {"progressToken": "held-1"}}}),
    );
    let mut progress = Vec::new();
    let answer = loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the server closed stdout"
        );
        let v: Value = serde_json::from_str(&line).unwrap();
        if v["method"] == "notifications/progress" {
            progress.push(v["params"].clone());
        } else if v["id"] == 2 {
            break v;
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let approval = answer["result"]["_meta"]["warrant/approval_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_owned();
    assert!(!progress.is_empty(), "no progress while held: {answer}");
    for p in &progress {
        assert_eq!(p["progressToken"], "held-1");
        assert_eq!(p["total"], json!(3.0));
        let m = p["message"].as_str().unwrap();
        assert!(m.contains(&approval) && m.contains("carol, dave"), "{m}");
    }
    // Progress only grows.
    let seen: Vec<f64> = progress
        .iter()
        .map(|p| p["progress"].as_f64().unwrap())
        .collect();
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
}
