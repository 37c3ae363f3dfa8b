//! Finding 1: a split view passes the witness. Two forks of one chain (the
//! state directory copied, keys and all) each go on and checkpoint the same
//! sequence number into the same witness: the witness then holds two
//! validly signed heads for one seq, and `audit verify` on either fork
//! must say so.

use serde_json::json;
use warrant_tests::{Fixture, PluginSpec};

use super::call;

async fn calls(fx: &Fixture, n: usize, what: &str) {
    let host = fx.host().await;
    let t = fx.token("bot", "T-1", &[]).await;
    for i in 0..n {
        let input = json!({"text": format!("{what} {i}")}).to_string();
        let r = call(&host, &t, "adversary.echo", &input).await;
        assert!(r.outcome.is_ok(), "{:?}", r.outcome);
    }
    host.shutdown("done").await;
}

fn verify(fx: &Fixture) -> (bool, String) {
    let out = fx.cli(&["audit", "verify"]);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test]
async fn two_forks_checkpointing_the_same_seq_into_one_witness_are_both_reported() {
    let elsewhere = tempfile::tempdir().unwrap();
    let witness = elsewhere.path().join("witness.jsonl");
    let a = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"])
        .config(&format!(
            "[audit]\nwitness = {:?}",
            witness.display().to_string()
        ))
        .build()
        .await;
    calls(&a, 3, "before the fork").await;
    let (ok, out) = verify(&a);
    assert!(ok && out.contains("against the witness"), "{out}");
    // The fork: the same keys, the same chain, then two histories.
    let b = a.fork();
    calls(&a, 2, "fork a").await;
    calls(&b, 2, "fork b").await;
    for fx in [&a, &b] {
        let (ok, out) = verify(fx);
        assert!(
            !ok && out.contains("split view") && out.contains("witness.jsonl"),
            "a fork passed the witness: {out}"
        );
    }
    // The witness without the other fork's checkpoints: each fork alone
    // still verifies — the report is about the split, not the records.
    let own = a.cli(&[
        "audit",
        "verify",
        "--witness",
        a.path("state/audit/checkpoints.jsonl").to_str().unwrap(),
    ]);
    assert!(
        own.status.success(),
        "{}",
        String::from_utf8_lossy(&own.stdout)
    );
    // And the host still serves.
    calls(&a, 1, "after").await;
}
