//! Finding 12: deleting the chain's tail together with its checkpoints file
//! no longer passes verification unnoticed: `audit verify` says how much of
//! the end no checkpoint covers (and fails on it with
//! `--require-checkpoint`), and a witness copy of the checkpoints kept
//! elsewhere catches the truncation — and a rewritten, re-MACed history.

use serde_json::json;
use warrant::audit::Record;
use warrant::keys::{SigningKey, read_key_file};
use warrant_tests::{Fixture, PluginSpec};

use super::call;

async fn chain(witness: bool) -> Fixture {
    let mut b = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"]);
    if witness {
        b = b.config("[audit]\nwitness = \"elsewhere/witness.jsonl\"");
    }
    let fx = b.build().await;
    std::fs::create_dir_all(fx.path("elsewhere")).unwrap();
    let host = fx.host().await;
    let t = fx.token("bot", "T-1", &[]).await;
    for i in 0..4 {
        let input = json!({"text": format!("call {i}")}).to_string();
        assert!(
            call(&host, &t, "adversary.echo", &input)
                .await
                .outcome
                .is_ok()
        );
    }
    host.shutdown("done").await;
    fx
}

fn lines(fx: &Fixture) -> Vec<String> {
    std::fs::read_to_string(fx.path("state/audit/audit.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn verify(fx: &Fixture, extra: &[&str]) -> (bool, String) {
    let mut args = vec!["audit", "verify"];
    args.extend_from_slice(extra);
    let out = fx.cli(&args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn a_deleted_tail_and_checkpoints_file_is_reported_and_caught_by_the_witness() {
    // Without a witness: reported, and refused when asked to.
    let fx = chain(false).await;
    let all = lines(&fx);
    std::fs::write(
        fx.path("state/audit/audit.jsonl"),
        all[..all.len() - 3].join("\n") + "\n",
    )
    .unwrap();
    std::fs::remove_file(fx.path("state/audit/checkpoints.jsonl")).unwrap();
    let (ok, out) = verify(&fx, &[]);
    assert!(
        ok && out.contains("are not covered by a signed checkpoint"),
        "{out}"
    );
    let (ok, out) = verify(&fx, &["--require-checkpoint"]);
    assert!(
        !ok && out.contains("not covered by a signed checkpoint"),
        "{out}"
    );
    // With a witness: caught.
    let fx = chain(true).await;
    let (ok, out) = verify(&fx, &["--require-checkpoint"]);
    assert!(ok && out.contains("against the witness"), "{out}");
    let all = lines(&fx);
    std::fs::write(
        fx.path("state/audit/audit.jsonl"),
        all[..all.len() - 3].join("\n") + "\n",
    )
    .unwrap();
    std::fs::remove_file(fx.path("state/audit/checkpoints.jsonl")).unwrap();
    let (ok, out) = verify(&fx, &[]);
    assert!(
        !ok && out.contains("witness") && out.contains("deleted"),
        "{out}"
    );
}

#[tokio::test]
async fn a_rewritten_history_is_caught_by_the_witness_even_with_the_mac_key() {
    let fx = chain(true).await;
    // Someone with the host's MAC key rewrites a record and re-chains
    // everything after it, then drops the checkpoints that would disagree.
    let key = match read_key_file(&fx.path("state/keys/audit-mac.key"))
        .unwrap()
        .signing_key()
        .unwrap()
    {
        SigningKey::Hmac(k) => k,
        SigningKey::Ed25519(_) => unreachable!(),
    };
    let mut recs: Vec<Record> = lines(&fx)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let victim = recs.iter().position(|r| r.kind == "call").unwrap();
    recs[victim].data["outcome"] = json!("refused");
    for i in victim..recs.len() {
        if i > 0 {
            recs[i].prev = recs[i - 1].hash.clone();
        }
        recs[i].hash = recs[i].compute_hash();
        recs[i].mac = recs[i].compute_mac(&key);
    }
    let text: Vec<String> = recs
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    std::fs::write(fx.path("state/audit/audit.jsonl"), text.join("\n") + "\n").unwrap();
    std::fs::remove_file(fx.path("state/audit/checkpoints.jsonl")).unwrap();
    let (ok, out) = verify(&fx, &["--witness", "/dev/null"]);
    assert!(ok, "without the witness the forgery passes: {out}");
    let (ok, out) = verify(&fx, &[]);
    assert!(
        !ok && out.contains("witness") && out.contains("forked"),
        "{out}"
    );
}
