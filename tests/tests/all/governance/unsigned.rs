//! Development mode (no `[governance]`, or `mode = "unsigned"`): the files
//! are the rules, but every change is still a release — recorded with its
//! digest and what it changed — and `audit verify` says plainly that
//! nobody signed them.

use serde_json::json;
use warrant_tests::{Fixture, PluginSpec};

use super::run;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_is_recorded_and_verify_says_unsigned() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.echo"])
        .build()
        .await;
    let host = fx.host().await;
    let t = fx.token("bot", "T-1", &[]).await;
    let echo = warrant::CallRequest {
        token: t.clone(),
        tool: "adversary.echo".into(),
        input: json!({"text": "x"}).into(),
        channel: "lib",
        ..warrant::CallRequest::default()
    };
    assert!(host.call(echo.clone()).await.outcome.is_ok());
    // A change, applied on the next reload as an unsigned release 2.
    fx.edit_config(|t| t.replace("tools = [\"adversary.echo\"]", "tools = [\"adversary.*\"]"));
    let report = host.reload("signal", None).await;
    assert!(report.applied && report.error.is_none(), "{report:?}");
    assert_eq!(host.loaded().release.version, 2);
    host.shutdown("done").await;
    let recs = crate::hardening::records(&fx);
    let applied: Vec<_> = recs.iter().filter(|r| r.kind == "config.applied").collect();
    assert_eq!(applied.len(), 2);
    for a in &applied {
        assert_eq!(a.str("mode"), Some("unsigned"));
        assert!(a.str("digest").unwrap().starts_with("sha256:"));
    }
    assert!(
        applied[1].data["changes"]
            .to_string()
            .contains("agent bot gains tool adversary.*"),
        "{}",
        applied[1].data
    );
    let (ok, out) = run(&fx, &["audit", "verify"]);
    assert!(
        ok && out.contains("UNSIGNED") && out.contains("2 release(s) of the rules verified"),
        "{out}"
    );
}
