//! The shipped systemd unit (`manifests/deploy/warrant.service`): its
//! command line starts a fleet host as written (only the listen address
//! made loopback), and its stop — SIGTERM — drains: `/readyz` fails while
//! the host still answers, then it stops cleanly within the unit's
//! `TimeoutStopSec`. (The HAProxy configuration is run by every test
//! through `warrant_tests::haproxy`.)

use std::time::Duration;

use super::{member_config, start_with};
use crate::fleet::shared::fleet_fixture;

fn setting<'a>(unit: &'a str, key: &str) -> Option<&'a str> {
    unit.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(str::trim)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_systemd_unit_starts_a_host_that_drains_on_sigterm() {
    let text = std::fs::read_to_string(
        warrant_tests::workspace_root().join("manifests/deploy/warrant.service"),
    )
    .unwrap();
    let unit = text.replace("\\\n", " ");
    assert_eq!(setting(&unit, "KillSignal"), Some("SIGTERM"));
    assert_eq!(
        setting(&unit, "Environment"),
        Some("WARRANT_CONFIG=/etc/warrant/warrant.toml")
    );
    let stop_within: u64 = setting(&unit, "TimeoutStopSec").unwrap().parse().unwrap();
    let exec: Vec<&str> = setting(&unit, "ExecStart")
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(&exec[..2], ["/usr/local/bin/warrant", "serve"]);
    let at = |flag: &str| exec.iter().position(|a| *a == flag).map(|i| exec[i + 1]);
    let grace = warrant::vocab::parse_duration(at("--drain-grace").unwrap()).unwrap();
    let calls = warrant::vocab::parse_duration(at("--drain-calls").unwrap()).unwrap();
    assert!(
        grace + calls + Duration::from_secs(5) < Duration::from_secs(stop_within),
        "systemd waits for the drain"
    );
    let args: Vec<&str> = exec[2..]
        .iter()
        .map(|a| {
            if *a == "10.0.0.11:8787" {
                "127.0.0.1:0"
            } else {
                a
            }
        })
        .collect();

    let fx = fleet_fixture().await;
    let url = warrant_tests::postgres::database().await;
    let mut m = start_with(member_config(&fx, &url, "unit"), &args);
    let ready = |base: String| async move {
        reqwest::get(format!("{base}/readyz"))
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    assert_eq!(ready(m.base.clone()).await, 200);
    let pid = m.pid();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    // Draining (for the unit's --drain-grace): not ready, still answering.
    loop {
        match ready(m.base.clone()).await {
            503 => break,
            200 => tokio::time::sleep(Duration::from_millis(10)).await,
            st => panic!("stopped answering before it said it drains: {st}"),
        }
    }
    let stopped = tokio::task::spawn_blocking(move || m.wait()).await.unwrap();
    assert!(stopped.success(), "{stopped}");
}
