//! Limits: the manifest's apply, and the operator may tighten them.

use serde_json::json;
use warrant::{CallError, CallFailure};
use warrant_tests::{Fixture, PluginSpec};

use crate::grants::call;

#[tokio::test]
async fn manifest_limits_apply_and_the_operator_may_tighten_them() {
    let fx = Fixture::builder()
        .plugin(
            PluginSpec::new("adversary")
                .limits("timeout = \"2s\"\nmemory = \"64MiB\"\noutput = \"1KiB\"")
                .entry("limits = { timeout = \"300ms\" }"),
        )
        .agent("bot", &["adversary.*"])
        .build()
        .await;
    let host = fx.host().await;
    let t = fx.token("bot", "T-1", &[]).await;
    let err = call(&host, &t, "adversary.spin", json!({}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("time limit of 300ms"), "{err}");
    let err = call(&host, &t, "adversary.big-output", json!({"n": 2000}))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CallError::Failed(CallFailure::OutputTooLarge { limit: 1024, .. })
        ),
        "{err}"
    );
    host.shutdown("done").await;
    // The manifest's memory limit, where the operator tightened nothing (a
    // loaded machine may take longer than 300 ms to grow to 64 MiB).
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary").limits("timeout = \"30s\"\nmemory = \"64MiB\""))
        .agent("bot", &["adversary.*"])
        .build()
        .await;
    let host = fx.host().await;
    let t = fx.token("bot", "T-2", &[]).await;
    let err = call(&host, &t, "adversary.grow", json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CallError::Failed(CallFailure::MemoryLimit { limit }) if limit == 64 << 20),
        "{err}"
    );
}
