//! Finding 10: after kill -9 under load, the call that was running showed
//! in the chain as allowed with no outcome and nothing marking it
//! interrupted, and the dead host's concurrency slots stayed taken about a
//! minute. On restart the host records each decision without an outcome as
//! interrupted and gives its dead process's slots back at once. (The
//! single-host case under load is `crash.rs`; this is the fleet's.)

use std::time::Duration;

use serde_json::json;

use crate::fleet::shared::fleet_fixture;
use crate::fleet::{call, member_config, start, token};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_hosts_running_call_is_marked_and_its_slot_freed_on_restart() {
    let fx = fleet_fixture().await;
    let url = warrant_tests::postgres::database().await;
    let mut a = start(member_config(&fx, &url, "a"));
    let b = start(member_config(&fx, &url, "b"));
    let (ta, tb) = (
        token(&fx, &a.config, "single-bot", "T-9").await,
        token(&fx, &b.config, "single-bot", "T-9").await,
    );
    // single-bot may have one call in flight across the fleet: A's spins.
    let (ab, tab) = (a.base.clone(), ta.clone());
    let spinning =
        tokio::spawn(async move { call(&ab, &tab, "adversary.spin", json!({"n": 0})).await });
    let state = fx.path("state-a");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !crate::hardening::written_ahead(&state)
        .iter()
        .any(|(_, tool)| tool == "adversary.spin")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "A's call was never decided"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (st, body) = call(&b.base, &tb, "adversary.echo", json!({"text": "x"})).await;
    assert!(
        st != 200 && body.to_string().contains("across the fleet"),
        "A's call does not hold the slot: {body}"
    );
    // A dies mid-call.
    a.kill9();
    let _ = spinning.await;
    // Its restart records the call as interrupted and gives its slot back:
    // B's next call runs at once, not a minute later when the lease expires.
    let config = a.config.clone();
    drop(a);
    let a = start(config.clone());
    let (st, body) = call(&b.base, &tb, "adversary.echo", json!({"text": "x"})).await;
    assert_eq!(st, 200, "the dead host's slot is still taken: {body}");
    let cfg = warrant::HostConfig::load(&config).unwrap();
    let recs = warrant::audit::read_records(
        &warrant::audit::AuditPaths::in_dir(&cfg.audit_dir()).log,
        &warrant::audit::Filter::default(),
    )
    .unwrap();
    let interrupted: Vec<_> = recs
        .iter()
        .filter(|r| r.kind == "call.interrupted")
        .collect();
    assert_eq!(interrupted.len(), 1, "{interrupted:?}");
    assert_eq!(interrupted[0].str("tool"), Some("adversary.spin"));
    assert_eq!(interrupted[0].str("decision"), Some("allow"));
    // A serves again, and both chains verify.
    let (st, body) = call(&a.base, &ta, "adversary.echo", json!({"text": "y"})).await;
    assert_eq!(st, 200, "{body}");
    drop(a);
    drop(b);
    for c in ["a", "b"] {
        let out = fx
            .cli_command(&["audit", "verify"])
            .env("WARRANT_CONFIG", fx.path(&format!("host-{c}.toml")))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && !text.contains("without an outcome"),
            "{text}"
        );
    }
}
