//! The fleet: a release applied through host A is in force on host B
//! within a watcher turn (as a stop button is), and a host started with
//! older files does not serve them: it runs the fleet's newest release.

use std::time::{Duration, Instant};

use serde_json::json;

use super::governed;
use crate::fleet::{call, member_config, start, token};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_applied_anywhere_is_in_force_everywhere() {
    let fx = governed().await;
    let url = warrant_tests::postgres::database().await;
    let (ca, cb) = (member_config(&fx, &url, "a"), member_config(&fx, &url, "b"));
    // Release 1 through A's config.
    let desk = warrant::operator::rules::RulesDesk::open(&ca).unwrap();
    desk.sign_and_apply(&[fx.governor_key("erin"), fx.governor_key("frank")])
        .await
        .unwrap();
    drop(desk);
    let a = start(ca.clone());
    let b = start(cb.clone());
    let tb = token(&fx, &b.config, "intel-bot", "T-1").await;
    let (st, body) = call(&b.base, &tb, "adversary.echo", json!({"text": "x"})).await;
    assert_eq!(st, 403, "intel-bot has no adversary tools yet: {body}");

    // Release 2 (intel-bot gains adversary.echo) applied through A.
    for c in [&ca, &cb] {
        let text = std::fs::read_to_string(c).unwrap();
        std::fs::write(
            c,
            text.replace(
                "tools = [\"ioc-extract.extract\"]",
                "tools = [\"ioc-extract.extract\", \"adversary.echo\"]",
            ),
        )
        .unwrap();
    }
    let desk = warrant::operator::rules::RulesDesk::open(&ca).unwrap();
    let r2 = desk
        .sign_and_apply(&[fx.governor_key("erin"), fx.governor_key("frank")])
        .await
        .unwrap();
    drop(desk);
    // B serves under it within a watcher turn (a token under release 2
    // names the new grant).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let t2 = token(&fx, &b.config, "intel-bot", "T-2").await;
        let (st, body) = call(&b.base, &t2, "adversary.echo", json!({"text": "x"})).await;
        if st == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "B never applied release 2: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // C starts with the files of release 1: it runs release 2 and records
    // that its files were refused.
    let cc = member_config(&fx, &url, "c");
    let text = std::fs::read_to_string(&cc).unwrap();
    std::fs::write(
        &cc,
        text.replace(
            "tools = [\"ioc-extract.extract\", \"adversary.echo\"]",
            "tools = [\"ioc-extract.extract\"]",
        ),
    )
    .unwrap();
    let c = start(cc.clone());
    let tc = token(&fx, &c.config, "intel-bot", "T-3").await;
    let (st, body) = call(&c.base, &tc, "adversary.echo", json!({"text": "x"})).await;
    assert_eq!(st, 200, "C serves its older files: {body}");
    drop((a, b, c));
    let recs = warrant::audit::read_records(
        &warrant::audit::AuditPaths::in_dir(&warrant::HostConfig::load(&cc).unwrap().audit_dir())
            .log,
        &warrant::audit::Filter::default(),
    )
    .unwrap();
    assert!(
        recs.iter()
            .any(|r| r.kind == "config.refused" && r.str("trigger") == Some("start"))
    );
    assert!(
        recs.iter()
            .any(|r| r.kind == "config.applied" && r.str("digest") == Some(r2.digest.as_str()))
    );
    for cfg in [&ca, &cb, &cc] {
        let out = fx
            .cli_command(&["audit", "verify"])
            .env("WARRANT_CONFIG", cfg)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains("release 2"), "{text}");
    }
}
