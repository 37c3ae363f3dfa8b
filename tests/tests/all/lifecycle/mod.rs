//! The policy lifecycle (issue 18): test a policy, replay the chain
//! against a candidate, run it in shadow, let policy see the task's
//! history, and budget tasks, agents and tools.

mod admission;
mod budgets;
mod cases;
mod replay;
mod shadow;

use serde_json::Value;
use warrant::{CallRequest, CallResponse, Host};

/// One call through the library.
pub(crate) async fn call(host: &Host, token: &str, tool: &str, input: &Value) -> CallResponse {
    host.call(CallRequest {
        token: token.into(),
        tool: tool.into(),
        input: input.clone().into(),
        channel: "lib",
        ..CallRequest::default()
    })
    .await
}

/// The refusal of a call, in words (empty when it ran).
pub(crate) fn refused(r: &CallResponse) -> String {
    r.outcome
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default()
}
