//! The findings of the adversarial review (issue 10), each pinned by a test
//! that the earlier main failed: through the library, the CLI, HTTP/JSON
//! and MCP where the finding applies. Every test ends by checking that the
//! host still serves and that the chain the attack left verifies.

mod attribution;
mod binding;
mod ceilings;
mod inputs;
mod reload;
mod reserve;
mod revocation;
mod rollback;
mod smaller;
mod terminal;
mod tls;
mod witness;

use serde_json::{Value, json};
use warrant::{CallRequest, CallResponse, Host};
use warrant_tests::Fixture;

/// One call through the library.
pub(crate) async fn call(host: &Host, token: &str, tool: &str, input: &str) -> CallResponse {
    host.call(CallRequest {
        token: token.into(),
        tool: tool.into(),
        input: input.into(),
        channel: "lib",
        ..CallRequest::default()
    })
    .await
}

/// The host still answers an ordinary call, and after it stops the chain
/// verifies with the CLI.
pub(crate) async fn still_serves_and_verifies(
    fx: &Fixture,
    host: &Host,
    token: &str,
    tool: &str,
    input: Value,
) {
    let r = call(host, token, tool, &input.to_string()).await;
    assert!(
        r.outcome.is_ok(),
        "the host no longer serves: {:?}",
        r.outcome
    );
    host.shutdown("test over").await;
    let out = fx.cli(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "the chain does not verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The echo input the checks above use.
pub(crate) fn echo() -> Value {
    json!({"text": "still here"})
}

/// The calls written ahead (before their tools ran) to the journals in a
/// state directory's `live/` — every host process's, alive or dead — as
/// (call id, tool): the lines' JSON after their MAC (see
/// `mediation::intents`).
pub(crate) fn written_ahead(state_dir: &std::path::Path) -> Vec<(String, String)> {
    let Ok(dir) = std::fs::read_dir(state_dir.join("live")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for f in dir.flatten() {
        let text = std::fs::read_to_string(f.path()).unwrap_or_default();
        for line in text.lines() {
            let Some(v) = line
                .get(65..)
                .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
            else {
                continue;
            };
            let s = |k: &str| v["call"][k].as_str().unwrap_or_default().to_owned();
            out.push((s("call_id"), s("tool")));
        }
    }
    out
}

/// The audit records of the fixture's chain.
pub(crate) fn records(fx: &Fixture) -> Vec<warrant::audit::Record> {
    let paths = warrant::audit::AuditPaths::in_dir(&fx.config().audit_dir());
    warrant::audit::read_records(&paths.log, &warrant::audit::Filter::default()).unwrap()
}
