//! The audit chain across the fleet: each host keeps its own chain and
//! ships it, indexed, with its checkpoints to the shared store; `audit show --task
//! --fleet` tells a task's story across hosts in time order; `audit verify
//! --fleet` verifies what every host shipped, and its chain against what it
//! published, and names the host whose shipped records were altered, or
//! whose chain lost a record or was cut; `fleet status` lists the
//! hosts, their plugins and the stop state.

use serde_json::json;
use warrant::audit::AuditPaths;

use super::{call, member_config, start, token};
use crate::fleet::shared::fleet_fixture;

fn cli(fx: &warrant_tests::Fixture, config: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = fx
        .cli_command(args)
        .env("WARRANT_CONFIG", config)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn host_id(log: &std::path::Path) -> String {
    let first = std::fs::read_to_string(log).unwrap();
    let r: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    r["host"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tasks_story_across_hosts_and_every_chain_checked_against_what_it_published() {
    let fx = fleet_fixture().await;
    let url = warrant_tests::postgres::database().await;
    let (ca, cb) = (member_config(&fx, &url, "a"), member_config(&fx, &url, "b"));
    let (a, b) = (start(ca.clone()), start(cb.clone()));
    let (ta, tb) = (
        token(&fx, &a.config, "triage-bot", "INC-9").await,
        token(&fx, &b.config, "triage-bot", "INC-9").await,
    );
    for (base, t, ip) in [
        (&a.base, &ta, "198.51.100.1"),
        (&b.base, &tb, "198.51.100.2"),
        (&a.base, &ta, "198.51.100.3"),
    ] {
        let (st, body) = call(base, t, "ioc-extract.extract", json!({"text": ip})).await;
        assert_eq!(st, 200, "{body}");
    }
    // A token altered on its way: refused, and in the task's story as
    // what it claimed.
    let (head, sig) = tb.rsplit_once('.').unwrap();
    let forged = format!(
        "{head}.{}{}",
        if sig.starts_with('A') { 'B' } else { 'A' },
        &sig[1..]
    );
    let (st, body) = call(
        &b.base,
        &forged,
        "ioc-extract.extract",
        json!({"text": "x"}),
    )
    .await;
    assert_eq!(st, 401, "{body}");
    let (ok, status) = cli(&fx, &ca, &["fleet", "status"]);
    assert!(ok, "{status}");
    assert!(
        status.contains("2 host(s)") && status.contains("ioc-extract 1.0.0 sha256:"),
        "{status}"
    );
    assert!(status.contains("stop state: serving"), "{status}");
    // Stopped: each publishes the end of its chain.
    drop(a);
    drop(b);
    let (la, lb) = (
        AuditPaths::in_dir(&fx.path("state-a/audit")).log,
        AuditPaths::in_dir(&fx.path("state-b/audit")).log,
    );
    let (ha, hb) = (host_id(&la), host_id(&lb));
    assert_ne!(ha, hb);

    let (ok, story) = cli(&fx, &cb, &["audit", "show", "--task", "INC-9", "--fleet"]);
    assert!(ok, "{story}");
    assert!(story.contains("across 2 host(s)"), "{story}");
    let calls: Vec<&str> = story.lines().filter(|l| l.contains(" CALL ")).collect();
    assert_eq!(calls.len(), 4, "{story}");
    assert!(
        story.contains("the token did not verify: it claimed task INC-9, agent triage-bot"),
        "{story}"
    );
    let hosts: Vec<&str> = calls
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        hosts,
        [ha.as_str(), hb.as_str(), ha.as_str(), hb.as_str()],
        "in time order across hosts: {story}"
    );

    let (ok, verified) = cli(&fx, &ca, &["audit", "verify", "--fleet"]);
    assert!(ok, "{verified}");
    assert!(verified.contains("OK: 2 host(s) verified"), "{verified}");

    // A record A shipped, altered in the database: named, though A's own
    // chain is intact; put back, A verifies again.
    let (db, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let shipped: String = db
        .query_one(
            "SELECT line FROM fleet_records WHERE host = $1 AND seq = 2",
            &[&ha],
        )
        .await
        .unwrap()
        .get(0);
    let altered = shipped.replacen("\"time\":\"", "\"time\":\"1", 1);
    assert_ne!(altered, shipped);
    let set = "UPDATE fleet_records SET line = $1 WHERE host = $2 AND seq = 2";
    db.execute(set, &[&altered, &ha]).await.unwrap();
    let (ok, verified) = cli(&fx, &ca, &["audit", "verify", "--fleet"]);
    assert!(!ok, "{verified}");
    assert!(
        line_of_owned(&verified, &ha).contains("TAMPERED in the shared store"),
        "{verified}"
    );
    assert!(line_of_owned(&verified, &hb).contains("OK"), "{verified}");
    db.execute(set, &[&shipped, &ha]).await.unwrap();
    let (ok, verified) = cli(&fx, &ca, &["audit", "verify", "--fleet"]);
    assert!(ok, "{verified}");

    // A record deleted from B's chain: B is named, A is fine.
    let text = std::fs::read_to_string(&lb).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let kept: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, l)| *l)
        .collect();
    std::fs::write(&lb, kept.join("\n") + "\n").unwrap();
    let (ok, verified) = cli(&fx, &ca, &["audit", "verify", "--fleet"]);
    assert!(!ok, "{verified}");
    let line_of = |h: &str| {
        verified
            .lines()
            .find(|l| l.starts_with(&format!("host {h}:")))
            .unwrap_or("")
            .to_owned()
    };
    assert!(line_of(&hb).contains("TAMPERED"), "{verified}");
    assert!(line_of(&ha).contains("OK"), "{verified}");
    // A's chain cut short after it published more: named as truncated.
    let text = std::fs::read_to_string(&la).unwrap();
    let n = text.lines().count();
    let short: Vec<&str> = text.lines().take(n - 2).collect();
    std::fs::write(&la, short.join("\n") + "\n").unwrap();
    std::fs::write(
        AuditPaths::in_dir(&fx.path("state-a/audit")).checkpoints,
        "",
    )
    .unwrap();
    let (ok, verified) = cli(&fx, &ca, &["audit", "verify", "--fleet"]);
    assert!(!ok);
    assert!(
        line_of_owned(&verified, &ha).contains("TRUNCATED"),
        "{verified}"
    );
}

fn line_of_owned(text: &str, h: &str) -> String {
    text.lines()
        .find(|l| l.starts_with(&format!("host {h}:")))
        .unwrap_or("")
        .to_owned()
}
