//! What the fleet shares through PostgreSQL, each through two real
//! `warrant serve` processes: a halt pressed anywhere stops every host and
//! cancels a call in flight on another; an approval given through host B
//! releases the call held on host A, once; an agent's 60/min holds across
//! hosts, and so does its cap on calls in flight; a plugin version seen on
//! one host blocks a rollback on another;
//! an operator's signed action is good once in the whole fleet.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use warrant::operator::{OperatorError, Stop};
use warrant_tests::{Fixture, PluginSpec};

use super::{call, member_config, ops, start, token};
use crate::api::support::SOC;

pub(crate) async fn fleet_fixture() -> Fixture {
    Fixture::builder()
        .plugin(PluginSpec::new("ioc-extract"))
        .plugin(PluginSpec::new("case-note").grants(
            "files = [{ host = \"cases\", guest = \"/cases\", access = \"read-write\" }]",
        ))
        .plugin(PluginSpec::new("adversary").limits("timeout = \"60s\""))
        .agent("triage-bot", &["ioc-extract.*", "case-note.append", "adversary.*"])
        .agent_toml("[[agents]]\nid = \"metered-bot\"\nowner = \"o\"\nmodel = \"m\"\nmodel-owner = \"mo\"\ntools = [\"ioc-extract.*\"]\nrate = \"60/min\"\n")
        .agent_toml("[[agents]]\nid = \"single-bot\"\nowner = \"o\"\nmodel = \"m\"\nmodel-owner = \"mo\"\ntools = [\"adversary.*\"]\nmax-concurrent = 1\n")
        .policy(SOC)
        .build()
        .await
}

/// Call until `ok(status, body)` holds, for at most 10 s.
async fn until(base: &str, token: &str, ok: impl Fn(u16, &str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (st, body) = call(
            base,
            token,
            "ioc-extract.extract",
            json!({"text": "1.2.3.4"}),
        )
        .await;
        let text = body.to_string();
        if ok(st, &text) {
            return text;
        }
        assert!(Instant::now() < deadline, "not so within 10 s: {st} {text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_halt_anywhere_stops_every_host_and_cancels_calls_in_flight() {
    let fx = fleet_fixture().await;
    let url = warrant_tests::postgres::database().await;
    let a = start(member_config(&fx, &url, "a"));
    let b = start(member_config(&fx, &url, "b"));
    let (ta, tb) = (
        token(&fx, &a.config, "triage-bot", "INC-1").await,
        token(&fx, &b.config, "triage-bot", "INC-1").await,
    );
    assert_eq!(
        call(
            &a.base,
            &ta,
            "ioc-extract.extract",
            json!({"text": "1.2.3.4"})
        )
        .await
        .0,
        200
    );
    // A call in flight on B: spins until stopped.
    let (bb, tbb) = (b.base.clone(), tb.clone());
    let spinning =
        tokio::spawn(async move { call(&bb, &tbb, "adversary.spin", json!({"n": 0})).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!spinning.is_finished());

    // Halt, pressed through host A's config (as its CLI would).
    let halt = super::signer(&fx, &a.config, "carol").await.sign(
        warrant::keys::ActionKind::Halt,
        "",
        "fleet drill",
    );
    assert!(ops(&a.config).await.stop(&Stop::Halt, &halt).await.unwrap());
    let (st, body) = tokio::time::timeout(Duration::from_secs(10), spinning)
        .await
        .expect("the call in flight on B ends")
        .unwrap();
    assert_ne!(st, 200, "{body}");
    assert!(
        body.to_string().contains("halt"),
        "cancelled by the halt: {body}"
    );
    for (base, t) in [(&a.base, &ta), (&b.base, &tb)] {
        let text = until(base, t, |st, _| st != 200).await;
        assert!(text.contains("halted"), "{text}");
    }
    // Resumed from host B's side: both serve again.
    let resume = super::signer(&fx, &a.config, "carol").await.sign(
        warrant::keys::ActionKind::Resume,
        "",
        "drill over",
    );
    assert!(
        ops(&b.config)
            .await
            .stop(&Stop::Resume, &resume)
            .await
            .unwrap()
    );
    for (base, t) in [(&a.base, &ta), (&b.base, &tb)] {
        until(base, t, |st, _| st == 200).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_given_through_b_runs_the_call_held_on_a_once() {
    let fx = fleet_fixture().await;
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    std::fs::write(
        fx.config_path(),
        cfg.replace("wait = \"3s\"", "wait = \"60s\""),
    )
    .unwrap();
    let url = warrant_tests::postgres::database().await;
    let a = start(member_config(&fx, &url, "a"));
    let b_config = member_config(&fx, &url, "b");
    let ta = token(&fx, &a.config, "triage-bot", "INC-2").await;
    let args = json!({"case_id": "INC-2", "note": "Blocked 203.0.113.45"});
    // Held on A: a task to poll, at once.
    let (st, task) = call(&a.base, &ta, "case-note.append", args.clone()).await;
    assert_eq!(st, 202, "{task}");
    let task_url = task["task_url"].as_str().unwrap().to_owned();
    let b = ops(&b_config).await;
    let request = loop {
        if let Some(r) = b.approvals(false).await.unwrap().into_iter().next() {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let decision = super::signer(&fx, &a.config, "carol").await.sign_decision(
        true,
        &request.id,
        &request.binding.digest(),
        "confirmed",
    );
    b.decide(&decision).await.unwrap();
    let mut done = Value::Null;
    for _ in 0..400 {
        done = reqwest::Client::new()
            .get(&task_url)
            .bearer_auth(&ta)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if done["status"] != "working" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(done["result_status"], 200, "the held call ran on A: {done}");
    let used = b.approval(&request.id).await.unwrap();
    assert_eq!(
        used.status,
        warrant::state::ApprovalStatus::Used,
        "used once"
    );
    // The same call again is a new request: the approval was used up.
    let (st, again) = call(&a.base, &ta, "case-note.append", args).await;
    assert_eq!(
        st, 202,
        "held again, not run under the used approval: {again}"
    );
    assert_ne!(again["approval_id"], json!(request.id));
    let open = b.approvals(false).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_ne!(open[0].id, request.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agents_rate_holds_across_hosts() {
    let fx = fleet_fixture().await;
    let url = warrant_tests::postgres::database().await;
    let a = start(member_config(&fx, &url, "a"));
    let b = start(member_config(&fx, &url, "b"));
    let (ta, tb) = (
        token(&fx, &a.config, "metered-bot", "T-3").await,
        token(&fx, &b.config, "metered-bot", "T-3").await,
    );
    for i in 0..60 {
        let (base, t) = if i % 2 == 0 {
            (&a.base, &ta)
        } else {
            (&b.base, &tb)
        };
        let (st, body) = call(base, t, "ioc-extract.extract", json!({"text": "1.2.3.4"})).await;
        assert_eq!(st, 200, "call {i}: {body}");
    }
    for (base, t) in [(&a.base, &ta), (&b.base, &tb)] {
        let (st, body) = call(base, t, "ioc-extract.extract", json!({"text": "1.2.3.4"})).await;
        assert_ne!(st, 200);
        assert!(body.to_string().contains("60/min"), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_seen_on_one_host_blocks_a_rollback_on_another_and_nonces_are_fleet_wide() {
    let fx = fleet_fixture().await;
    // B's config names an older release of ioc-extract than A's.
    std::fs::copy(fx.path("ioc-extract.toml"), fx.path("ioc-extract-old.toml")).unwrap();
    fx.write_manifest(&PluginSpec::new("ioc-extract").version("1.1.0"))
        .await;
    let url = warrant_tests::postgres::database().await;
    let a = start(member_config(&fx, &url, "a"));
    let ta = token(&fx, &a.config, "triage-bot", "T-4").await;
    assert_eq!(
        call(
            &a.base,
            &ta,
            "ioc-extract.extract",
            json!({"text": "1.2.3.4"})
        )
        .await
        .0,
        200
    );
    let b_config = member_config(&fx, &url, "b");
    let text = std::fs::read_to_string(&b_config).unwrap();
    std::fs::write(
        &b_config,
        text.replace(
            "manifest = \"ioc-extract.toml\"",
            "manifest = \"ioc-extract-old.toml\"",
        ),
    )
    .unwrap();
    let out = fx
        .cli_command(&["verify", "ioc-extract-old.toml"])
        .env("WARRANT_CONFIG", &b_config)
        .current_dir(fx.root())
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("1.1.0"),
        "refused as a rollback below 1.1.0: {said}"
    );
    let b = start(b_config);
    let tb = token(&fx, &b.config, "triage-bot", "T-4").await;
    let (st, body) = call(
        &b.base,
        &tb,
        "ioc-extract.extract",
        json!({"text": "1.2.3.4"}),
    )
    .await;
    assert_ne!(st, 200, "B did not load the older release: {body}");

    // One signed action, used through A, is refused through B.
    let q = super::signer(&fx, &a.config, "carol").await.sign(
        warrant::keys::ActionKind::Quarantine,
        "metered-bot",
        "once",
    );
    assert!(
        ops(&a.config)
            .await
            .stop(&Stop::Quarantine("metered-bot".into()), &q)
            .await
            .unwrap()
    );
    let again = ops(&b.config)
        .await
        .stop(&Stop::Quarantine("metered-bot".into()), &q)
        .await;
    assert!(
        matches!(again, Err(OperatorError::Replayed(_))),
        "{again:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agents_cap_on_calls_in_flight_holds_across_hosts() {
    let fx = fleet_fixture().await;
    let url = warrant_tests::postgres::database().await;
    let a = start(member_config(&fx, &url, "a"));
    let b = start(member_config(&fx, &url, "b"));
    let (ta, tb) = (
        token(&fx, &a.config, "single-bot", "T-6").await,
        token(&fx, &b.config, "single-bot", "T-6").await,
    );
    let (ab, tab) = (a.base.clone(), ta.clone());
    let spinning =
        tokio::spawn(async move { call(&ab, &tab, "adversary.spin", json!({"n": 0})).await });
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (st, body) = call(&b.base, &tb, "adversary.echo", json!({"text": "x"})).await;
    assert_ne!(st, 200, "{body}");
    assert!(
        body.to_string()
            .contains("at most 1 calls in flight across the fleet"),
        "{body}"
    );
    // The call on A ends (quarantine cancels it); its slot is given back.
    let q = super::signer(&fx, &a.config, "carol").await.sign(
        warrant::keys::ActionKind::Quarantine,
        "single-bot",
        "stop it",
    );
    assert!(
        ops(&a.config)
            .await
            .stop(&Stop::Quarantine("single-bot".into()), &q)
            .await
            .unwrap()
    );
    let _ = tokio::time::timeout(Duration::from_secs(10), spinning)
        .await
        .expect("cancelled");
    let r = super::signer(&fx, &a.config, "carol").await.sign(
        warrant::keys::ActionKind::Release,
        "single-bot",
        "ok",
    );
    assert!(
        ops(&a.config)
            .await
            .stop(&Stop::Release("single-bot".into()), &r)
            .await
            .unwrap()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (st, body) = call(&b.base, &tb, "adversary.echo", json!({"text": "x"})).await;
        if st == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the slot was not given back: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
