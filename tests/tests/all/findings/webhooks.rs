//! Finding 8: a failed webhook delivery logged the whole URL at error level
//! — including a Slack-style path secret (`/services/T…/B…/SECRET`), which
//! is itself the credential to post to that channel. Only the origin is
//! logged now, on every path: refused, failed and retried, and a config
//! that refuses the URL.

use std::process::Stdio;

use axum::http::StatusCode;
use serde_json::json;

use crate::accountability::soc;

const SECRET: &str = "0123456789abcdef0123456789abcdef-test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_url_is_never_logged_beyond_its_origin() {
    // A receiver that refuses (403: not retried), and a port where nothing
    // listens (retried).
    let app = axum::Router::new().route(
        "/services/T0AAAA/B0BBBB/{secret}",
        axum::routing::post(|| async { StatusCode::FORBIDDEN }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = closed.local_addr().unwrap().port();
    drop(closed);

    let fx = soc("3s").await;
    std::fs::write(fx.path("hook.secret"), SECRET).unwrap();
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    std::fs::write(
        fx.config_path(),
        format!(
            "{cfg}\n[[webhooks]]\nurl = \"http://127.0.0.1:{port}/services/T0AAAA/B0BBBB/REFUSEDPATHSECRET\"\nsecret-file = \"hook.secret\"\n\n\
             [[webhooks]]\nurl = \"http://127.0.0.1:{dead}/services/T0AAAA/B0BBBB/DEADPATHSECRET?token=QUERYSECRET\"\nsecret-file = \"hook.secret\"\n"
        ),
    )
    .unwrap();
    let token = fx.token("triage-bot", "INC-8", &[]).await;
    let out = fx
        .cli_command(&[
            "call",
            "case-note.append",
            "--input",
            &json!({"case_id": "INC-8", "note": "isolate"}).to_string(),
        ])
        .env("WARRANT_TOKEN", &token)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "held: {log}");
    assert!(
        log.contains(&format!("http://127.0.0.1:{port}"))
            && log.contains("refused the notification (403)"),
        "{log}"
    );
    assert!(log.contains(&format!("http://127.0.0.1:{dead}")), "{log}");
    for secret in ["PATHSECRET", "QUERYSECRET", "/services/"] {
        assert!(!log.contains(secret), "{secret} was logged: {log}");
    }

    // A URL the config refuses is named by its origin only.
    std::fs::write(
        fx.config_path(),
        format!("{cfg}\n[[webhooks]]\nurl = \"http://hooks.example.org/services/T0/B0/CONFIGPATHSECRET\"\nsecret-file = \"hook.secret\"\n"),
    )
    .unwrap();
    let e = warrant::HostConfig::load(&fx.config_path())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("http://hooks.example.org") && !e.contains("CONFIGPATHSECRET"),
        "{e}"
    );
    // The host still serves, and its chain verifies.
    std::fs::write(fx.config_path(), &cfg).unwrap();
    let host = fx.host().await;
    super::still_serves_and_verifies(&fx, &host, &token, "adversary.echo", super::echo()).await;
}
