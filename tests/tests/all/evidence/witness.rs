//! A real witness process cosigns each checkpoint only when it extends the
//! last one it cosigned; an independent RFC 9162 implementation agrees
//! with every root and with a consistency proof; a fork of the chain —
//! validly signed by the host's own key — is never cosigned, and `audit
//! verify` requiring a witness says so.

use serde_json::json;

use super::{WITNESS, rfc9162, run, witness, witness_on, witnessed};
use crate::accountability::{call, soc};

async fn calls(fx: &warrant_tests::Fixture, task: &str, n: usize, why: &str) {
    let host = fx.host().await;
    let t = fx.token("triage-bot", task, &[]).await;
    for i in 0..n {
        let r = call(
            &host,
            &t,
            "ioc-extract.extract",
            json!({"text": format!("10.0.0.{i}")}),
        )
        .await;
        assert!(r.outcome.is_ok(), "{:?}", r.outcome);
    }
    host.shutdown(why).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_witness_cosigns_the_chain_and_never_a_fork_of_it() {
    let fx = soc("1s").await;
    let w = witness(&fx);
    let audit = fx.path("state/audit");
    calls(&fx, "INC-30", 3, "first").await;
    let first = witnessed(&audit).await;
    let fork = fx.fork();
    calls(&fx, "INC-30", 2, "second").await;
    let second = witnessed(&audit).await;
    assert!(second > first);

    let wk = format!("{WITNESS}={}", w.key);
    let (ok, out) = run(
        &fx,
        &[
            "audit",
            "verify",
            "--witness-key",
            &wk,
            "--require-witnesses",
            "1",
        ],
    );
    assert!(
        ok && out.contains(&format!("cosigned by {WITNESS}")),
        "{out}"
    );
    // Another implementation, from the RFCs: every root, and the proof
    // that the second checkpoint extends the first.
    let said = rfc9162(&[
        "roots",
        audit.join("audit.jsonl").to_str().unwrap(),
        audit.join("checkpoints.jsonl").to_str().unwrap(),
    ]);
    assert!(said.contains("match the tree"), "{said}");
    let (ok, proof) = run(&fx, &["audit", "prove", "--from", &first.to_string()]);
    assert!(ok, "{proof}");
    std::fs::write(fx.path("consistency.json"), &proof).unwrap();
    let said = rfc9162(&["consistency", fx.path("consistency.json").to_str().unwrap()]);
    assert!(
        said.contains(&format!("extends the tree of {first}")),
        "{said}"
    );
    // A proof that does not hold is refused by it too.
    let mut bad: serde_json::Value = serde_json::from_str(&proof).unwrap();
    bad["old_size"] = json!(first - 1);
    let text = bad["old_checkpoint"].as_str().unwrap().replacen(
        &format!("\n{first}\n"),
        &format!("\n{}\n", first - 1),
        1,
    );
    bad["old_checkpoint"] = json!(text);
    std::fs::write(fx.path("bad.json"), bad.to_string()).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python/rfc6962_check.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .args(["consistency", fx.path("bad.json").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a wrong proof passed the independent check"
    );

    // The fork: the same key, the same history up to `first`, then other
    // records — more of them than the original has.
    calls(&fork, "INC-31", 6, "fork").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !w.log.lock().unwrap().contains("does not verify") {
        assert!(
            std::time::Instant::now() < deadline,
            "the witness never saw the fork: {}",
            w.log.lock().unwrap()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (ok, out) = run(
        &fork,
        &[
            "audit",
            "verify",
            "--witness-key",
            &wk,
            "--require-witnesses",
            "1",
        ],
    );
    assert!(
        !ok && out.contains("witness cosignature(s) required"),
        "{out}"
    );
    // The fork is consistent with itself: only a witness exposes it.
    let (ok, out) = run(&fork, &["audit", "verify"]);
    assert!(ok, "{out}");
    // The original is still witnessed.
    let (ok, out) = run(
        &fx,
        &[
            "audit",
            "verify",
            "--witness-key",
            &wk,
            "--require-witnesses",
            "1",
        ],
    );
    assert!(ok, "{out}");
}

/// A witness that cannot be reached when a checkpoint is made is asked
/// again, backing off, until it answers — with no newer checkpoint to
/// carry the request (the chain gains nothing meanwhile).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_witness_down_at_a_checkpoint_cosigns_it_once_it_is_back() {
    let fx = soc("1s").await;
    let w = witness(&fx);
    let listen = w.url.trim_start_matches("http://").to_owned();
    drop(w);
    let audit = fx.path("state/audit");
    let host = fx.host().await;
    let t = fx.token("triage-bot", "INC-32", &[]).await;
    for i in 0..3 {
        let r = call(
            &host,
            &t,
            "ioc-extract.extract",
            json!({"text": format!("10.0.1.{i}")}),
        )
        .await;
        assert!(r.outcome.is_ok(), "{:?}", r.outcome);
    }
    // The checkpoint of the chain as it is now, made while the witness
    // is down: not cosigned.
    let size = || {
        std::fs::read_to_string(audit.join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let cps = std::fs::read_to_string(audit.join("checkpoints.jsonl")).unwrap_or_default();
        let n = size();
        if cps
            .lines()
            .any(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"] == n)
        {
            assert!(!cps.contains(&format!("— {WITNESS} ")), "{cps}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no checkpoint: {cps}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let before = size();
    // The witness is back on its address; the host asks it again.
    let _w = witness_on(&fx, &listen, false);
    let cosigned = witnessed(&audit).await;
    assert_eq!(cosigned as usize, before, "no newer checkpoint carried it");
    host.shutdown("done").await;
}
