//! PostgreSQL stopped under a serving host: what needs the shared state
//! fails closed (approvals cannot be read or granted, high-impact calls are
//! refused); ordinary calls go on, on the last stop state read, for
//! `[state] degraded-for`, each recorded as degraded; after that they are
//! refused too. When the database is back the host reconnects by itself,
//! serves normally, and publishes what its chain gained meanwhile —
//! nothing lost.

use std::time::{Duration, Instant};

use serde_json::json;
use warrant::audit::AuditPaths;
use warrant_tests::postgres::Cluster;

use super::{call, member_config, start, token};
use crate::fleet::shared::fleet_fixture;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_without_its_database_fails_closed_then_recovers() {
    let fx = fleet_fixture().await;
    let cluster = tokio::task::spawn_blocking(Cluster::start).await.unwrap();
    let url = cluster.database().await;
    let config = member_config(&fx, &url, "a");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("pool = 4\n", "pool = 4\ndegraded-for = \"4s\"\n"),
    )
    .unwrap();
    let a = start(config.clone());
    let t = token(&fx, &config, "triage-bot", "INC-5").await;
    let extract = |base: String, t: String| async move {
        call(&base, &t, "ioc-extract.extract", json!({"text": "1.2.3.4"})).await
    };
    assert_eq!(extract(a.base.clone(), t.clone()).await.0, 200);

    tokio::task::spawn_blocking({
        let c = cluster.clone();
        move || c.stop()
    })
    .await
    .unwrap();
    let down = Instant::now();
    // Ordinary calls go on, degraded; high-impact ones are refused.
    let (st, body) = extract(a.base.clone(), t.clone()).await;
    assert_eq!(st, 200, "{body}");
    let (st, body) = call(
        &a.base,
        &t,
        "case-note.append",
        json!({"case_id": "INC-5", "note": "x"}),
    )
    .await;
    assert_eq!(st, 503, "{body}");
    assert_eq!(body["error"]["layer"], "degraded", "{body}");
    assert!(
        body.to_string()
            .contains("high-impact calls are refused while the shared state has been unreachable"),
        "{body}"
    );
    // No operator action can even start: its process cannot read the
    // rules in force, let alone an approval.
    let opened =
        warrant::operator::OperatorActions::open(warrant::HostConfig::load(&config).unwrap()).await;
    assert!(
        match opened {
            Err(_) => true,
            Ok(o) => o.approvals(false).await.is_err(),
        },
        "no approval can be read or granted"
    );
    // After degraded-for: refused, failing closed.
    tokio::time::sleep(
        Duration::from_secs(4).saturating_sub(down.elapsed()) + Duration::from_millis(500),
    )
    .await;
    let (st, body) = extract(a.base.clone(), t.clone()).await;
    assert_ne!(st, 200);
    assert!(body.to_string().contains("failing closed"), "{body}");

    // Back: the host reconnects by itself.
    tokio::task::spawn_blocking({
        let c = cluster.clone();
        move || c.restart()
    })
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (st, body) = extract(a.base.clone(), t.clone()).await;
        if st == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not serving after the database came back: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(a);
    // The chain: the degraded decision says so; all of it published.
    let log = AuditPaths::in_dir(&fx.path("state-a/audit")).log;
    let text = std::fs::read_to_string(&log).unwrap();
    let degraded = text.lines().filter(|l| l.contains("\"degraded\":")).count();
    assert!(degraded >= 1, "a degraded decision is recorded as such");
    // The refusal came from authz, naming its layer.
    assert!(
        text.lines()
            .any(|l| l.contains("\"case-note.append\"") && l.contains("\"layer\":\"degraded\"")),
        "the high-impact refusal is recorded under layer degraded"
    );
    let out = fx
        .cli_command(&["audit", "verify", "--fleet"])
        .env("WARRANT_CONFIG", &config)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    let records = text.lines().count();
    assert!(
        said.contains(&format!("{records} records ({records} published")),
        "nothing lost: {said}"
    );
}
