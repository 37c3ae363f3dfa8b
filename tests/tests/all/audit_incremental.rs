//! `audit verify` from the host's signed mark of what it verified before:
//! only the records appended since are read, the output says which; an
//! edit before the mark that keeps every offset is found by `--full`
//! only; a forged mark is refused; a log cut below the mark is a fault.

use serde_json::json;
use warrant_tests::Fixture;

use crate::audit::{call, fixture, lines, log_path, verify};

/// Run the host for `n` echo calls with `prompt`.
async fn calls(fx: &Fixture, n: usize, prompt: &str) {
    let host = fx.host().await;
    let t = fx.token("triage-bot", "INC-2026-0901", &[]).await;
    for i in 0..n {
        call(
            &host,
            &t,
            "adversary.echo",
            json!({"text": format!("hello {i}")}),
            prompt,
        )
        .await
        .unwrap();
    }
    host.shutdown("test over").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_goes_on_from_its_signed_mark() {
    let fx = fixture().await;
    calls(&fx, 3, "first hello").await;
    let (ok, out) = verify(&fx, &[]);
    assert!(ok && !out.contains("verified records"), "{out}");
    let mark = fx.path("state/audit/verified.json");
    assert!(mark.exists(), "{out}");
    let before = lines(&fx).len();
    calls(&fx, 3, "second hello").await;
    let after = lines(&fx).len();
    assert!(after > before);
    let (ok, out) = verify(&fx, &[]);
    assert!(
        ok && out.contains(&format!(
            "verified records {}..{after}; records 1..{before} verified on",
            before + 1
        )) && out.contains("mark signed by the host's checkpoint key"),
        "{out}"
    );
    assert!(
        out.contains(&format!("OK: {after} records intact")),
        "{out}"
    );

    // An edit before the mark that keeps every byte offset: not read
    // again incrementally (the trade-off), found by --full.
    let original = std::fs::read_to_string(log_path(&fx)).unwrap();
    let at = original
        .lines()
        .position(|l| l.contains("first hello"))
        .unwrap();
    std::fs::write(
        log_path(&fx),
        original.replacen("first hello", "first jello", 1),
    )
    .unwrap();
    let (ok, out) = verify(&fx, &[]);
    assert!(
        ok && out.contains("no records appended since the mark"),
        "{out}"
    );
    for threads in ["1", "3"] {
        let (ok, out) = verify(&fx, &["--full", "--threads", threads]);
        assert!(
            !ok && out.contains(&format!("record {} (line {}): edited", at + 1, at + 1)),
            "{out}"
        );
    }
    let (ok, out) = verify(&fx, &["--full", "--threads", "0"]);
    assert!(
        !ok && out.contains("invalid value '0' for '--threads <N>'"),
        "{out}"
    );
    std::fs::write(log_path(&fx), &original).unwrap();

    // A mark edited without the host's key: refused, every record read.
    let text = std::fs::read_to_string(&mark).unwrap();
    let mut forged: serde_json::Value = serde_json::from_str(&text).unwrap();
    forged["mark"]["seq"] = json!(after + 100);
    std::fs::write(&mark, forged.to_string()).unwrap();
    let (ok, out) = verify(&fx, &[]);
    assert!(
        ok && out.contains("not signed by the host's checkpoint key")
            && out.contains("verified every record"),
        "{out}"
    );

    // The log cut below the mark (the one just written anew).
    let kept: Vec<String> = lines(&fx)[..before].to_vec();
    std::fs::write(log_path(&fx), kept.join("\n") + "\n").unwrap();
    let (ok, out) = verify(&fx, &[]);
    assert!(
        !ok && out.contains("truncated below the verified mark"),
        "{out}"
    );
}
