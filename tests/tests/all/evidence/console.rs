//! The console's task timeline offers the task's evidence, and what it
//! hands out is the file `warrant evidence verify` checks.

use serde_json::{Value, json};
use warrant::CallRequest;

use crate::api::support::{serve, soc};
use crate::console::login;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeline_offers_evidence_that_verifies() {
    let fx = soc().await;
    let s = serve(&fx).await;
    let t = fx.token("triage-bot", "INC-77", &[]).await;
    let r = s
        .host
        .call(CallRequest {
            token: t,
            tool: "ioc-extract.extract".into(),
            input: json!({"text": "198.51.100.7"}).into(),
            channel: "lib",
            ..CallRequest::default()
        })
        .await;
    assert!(r.outcome.is_ok(), "{:?}", r.outcome);
    let c = login(&fx, &s.base, "carol").await;
    let (st, page) = c.get("/console/tasks/INC-77").await;
    assert_eq!(st, 200);
    assert!(
        page.contains("/console/tasks/INC-77/export?format=evidence"),
        "{page}"
    );
    // A running host checkpoints within seconds; until then the export
    // says what it waits for.
    let mut body = String::new();
    for _ in 0..200 {
        let (st, b) = c.get("/console/tasks/INC-77/export?format=evidence").await;
        if st == 200 {
            body = b;
            break;
        }
        assert_eq!(st, 409, "{b}");
        assert!(b.contains("newer than the chain's last checkpoint"), "{b}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let bundle: Value = serde_json::from_str(&body).expect("an evidence file");
    assert_eq!(bundle["format"], "warrant-evidence/1");
    std::fs::write(fx.path("console-evidence.json"), &body).unwrap();
    let out = fx.cli(&[
        "evidence",
        "keys",
        "--out",
        fx.path("keys").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let out = fx.cli(&[
        "evidence",
        "verify",
        fx.path("console-evidence.json").to_str().unwrap(),
        "--keys",
        fx.path("keys").to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success() && text.contains("VERIFIED"), "{text}");
}
