//! Finding 2: a silently partitioned fleet host ignored a halt. When a
//! host's connections to PostgreSQL stay open but nothing gets through (a
//! dropped route, a hung proxy), the host kept serving on its old stop
//! state for the whole 30 s observed after another host halted the fleet.
//! Now its listener must answer a heartbeat: silence counts as unreachable
//! from the last heartbeat, and `degraded-for` bounds it — then the host
//! fails closed; once the database is heard again it obeys the halt.

use std::time::{Duration, Instant};

use serde_json::json;
use warrant::keys::ActionKind;
use warrant::operator::Stop;
use warrant_tests::Proxy;

use crate::fleet::shared::fleet_fixture;
use crate::fleet::{call, member_config, ops, signer, start, token};

/// Call A until `ok(status, body)`, for at most `secs`; what it answered.
async fn until(base: &str, t: &str, secs: u64, ok: impl Fn(u16, &str) -> bool) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        let (st, body) = call(base, t, "ioc-extract.extract", json!({"text": "1.2.3.4"})).await;
        let text = body.to_string();
        if ok(st, &text) {
            return Some(text);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silently_partitioned_host_fails_closed_and_then_obeys_the_halt() {
    let fx = fleet_fixture().await;
    let url = warrant_tests::postgres::database().await;
    let server: std::net::SocketAddr = {
        let tail = url.split_once('@').unwrap().1;
        tail.split_once('/').unwrap().0.parse().unwrap()
    };
    let proxy = Proxy::start(server).await;
    let a_config = member_config(&fx, &proxy.url_for(&url), "a");
    let text = std::fs::read_to_string(&a_config).unwrap();
    std::fs::write(
        &a_config,
        text.replace("pool = 4\n", "pool = 4\ndegraded-for = \"3s\"\n"),
    )
    .unwrap();
    let a = start(a_config.clone());
    let b = start(member_config(&fx, &url, "b"));
    let t = token(&fx, &a.config, "triage-bot", "INC-11").await;
    assert!(until(&a.base, &t, 10, |st, _| st == 200).await.is_some());

    // The route to the database goes silent; meanwhile the fleet is halted.
    proxy.freeze();
    let halt = signer(&fx, &b.config, "carol")
        .await
        .sign(ActionKind::Halt, "", "partition drill");
    assert!(ops(&b.config).await.stop(&Stop::Halt, &halt).await.unwrap());
    // A cannot hear the halt, but it must not serve on for long: it fails
    // closed once degraded-for has passed since its last heartbeat.
    let refused = until(&a.base, &t, 20, |st, _| st != 200).await;
    let refused = refused.expect("A kept serving for 20 s while partitioned from a halted fleet");
    assert!(
        refused.contains("failing closed") && refused.contains("heartbeat"),
        "{refused}"
    );
    // High impact is refused too.
    let (st, body) = call(
        &a.base,
        &t,
        "case-note.append",
        json!({"case_id": "INC-11", "note": "x"}),
    )
    .await;
    assert_ne!(st, 200, "{body}");

    // The route comes back: A hears the database again and obeys the halt.
    proxy.thaw();
    let halted = until(&a.base, &t, 20, |st, b| st != 200 && b.contains("halted")).await;
    assert!(
        halted.is_some(),
        "A did not learn of the halt after the partition"
    );
    let resume = signer(&fx, &b.config, "carol")
        .await
        .sign(ActionKind::Resume, "", "drill over");
    assert!(
        ops(&b.config)
            .await
            .stop(&Stop::Resume, &resume)
            .await
            .unwrap()
    );
    assert!(until(&a.base, &t, 20, |st, _| st == 200).await.is_some());
    drop(a);
    drop(b);
    let out = fx
        .cli_command(&["audit", "verify"])
        .env("WARRANT_CONFIG", &a_config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
