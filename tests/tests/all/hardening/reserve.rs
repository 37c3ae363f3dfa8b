//! Finding 5: a side effect never happens without its outcome record. The
//! audit volume fills up *while the tool runs* (the tool itself fills it);
//! the outcome is still written — from the reserve taken when the decision
//! was — and until there is room again no new call starts.

use serde_json::{Value, json};
use warrant::CallError;
use warrant_tests::{Fixture, PluginSpec, SmallVolume};

use super::{call, echo, records, still_serves_and_verifies};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_that_fills_the_volume_still_has_its_outcome_recorded() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary").grants(
            "files = [{ host = \"vol/work\", guest = \"/work\", access = \"read-write\" }]",
        ))
        .agent("bot", &["adversary.*"])
        .host_lines("audit-dir = \"vol/audit\"")
        .config("[audit]\nreserve = \"256KiB\"")
        .build()
        .await;
    let volume = SmallVolume::mount(&fx.path("vol"), 2 << 20);
    let t = fx.token("bot", "T-1", &[]).await;
    let host = fx.host().await;
    // Leave a little room: enough for a decision record, not for what the
    // tool is about to write.
    for leave in [0u64, 4096, 8192, 12288] {
        volume.fill(leave);
        let big = "x".repeat(64 * 1024);
        let r = call(
            &host,
            &t,
            "adversary.fs",
            &json!({"op": "write", "path": format!("/work/big-{leave}.txt"), "arg": big})
                .to_string(),
        )
        .await;
        let side_effect = fx.path(&format!("vol/work/big-{leave}.txt")).exists();
        if side_effect {
            // The tool ran (even if its write then failed): its outcome is
            // in the chain.
            assert!(
                r.audit_seq.is_some(),
                "the tool ran but its outcome was not recorded: {:?}",
                r.outcome
            );
            assert!(
                !matches!(r.outcome, Err(CallError::Unaudited(_))),
                "{:?}",
                r.outcome
            );
            let done = records(&fx)
                .into_iter()
                .find(|x| x.kind == "call" && x.str("call_id") == Some(r.call_id.as_str()));
            assert!(done.is_some(), "no outcome record for {}", r.call_id);
        } else {
            // Or it did not run at all, refused before it started.
            let e = r.outcome.as_ref().unwrap_err().to_string();
            assert!(
                e.contains("no call runs") || e.contains("the tool failed"),
                "{e}"
            );
        }
        // While the volume is full, no new call starts.
        let next = call(&host, &t, "adversary.echo", &echo().to_string()).await;
        if let Err(e) = &next.outcome {
            assert!(e.to_string().contains("no call runs"), "{e}");
        }
        volume.empty();
        let _ = std::fs::remove_file(fx.path(&format!("vol/work/big-{leave}.txt")));
    }
    // With room again the reserve is filled back and calls run.
    let r = call(&host, &t, "adversary.echo", &echo().to_string()).await;
    let out: Value = serde_json::from_str(r.outcome.as_ref().unwrap()).unwrap();
    assert_eq!(out["text"], "still here");
    still_serves_and_verifies(&fx, &host, &t, "adversary.echo", echo()).await;
    drop(volume);
}
