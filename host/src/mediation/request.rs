//! A call as an agent makes it, and the answer it gets.

use serde_json::Value;

use crate::audit::AuditError;
use crate::authz::{CallInput, Refusal};
use crate::sandbox::CallFailure;

/// A call as an agent makes it.
#[derive(Debug, Clone, Default)]
pub struct CallRequest {
    /// The task token.
    pub token: String,
    /// `plugin.tool`.
    pub tool: String,
    /// The input, read once where the call arrived (from text:
    /// [`CallInput::from_text`], or `"{…}".into()`).
    pub input: CallInput,
    /// What the agent says it is doing (recorded, bounded; never trusted).
    pub prompt: Option<String>,
    /// More context from the agent (recorded, bounded; never trusted).
    pub context: Option<Value>,
    /// Where the call came from: `cli`, `mcp`, `http`, `lib`.
    pub channel: &'static str,
    /// Told, about once a second, while the call waits for a human's
    /// approval (an MCP client's progress notifications come from it).
    pub progress: Option<tokio::sync::mpsc::UnboundedSender<CallProgress>>,
    /// How long a held call waits for a decision: `None` is the host's
    /// `[approvals] wait`, after which the call is answered "pending";
    /// a caller holding the call as a task waits until the approval
    /// request itself expires (`Some` of its expiry, or longer).
    pub wait: Option<std::time::Duration>,
    /// What the caller proved about its key (DPoP, checked by the HTTP
    /// server); a token bound to a key needs a proof by it.
    pub sender: crate::authz::Sender,
    /// The caller's W3C trace context, recorded with the call.
    pub trace: Option<crate::audit::event::TraceRef>,
    /// The caller's correlation id (`X-Correlation-ID` / `X-Request-ID`,
    /// MCP `_meta` `warrant/correlation_id`), recorded with the call:
    /// printable ASCII, at most 128 characters ([`correlation_id`]).
    pub correlation: Option<String>,
}

/// A correlation id as sent, kept when it is 1–128 printable ASCII
/// characters (anything else is ignored, like an invalid `traceparent`).
pub fn correlation_id(sent: &str) -> Option<String> {
    let t = sent.trim();
    (!t.is_empty() && t.len() <= 128 && t.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| t.to_owned())
}

/// What a caller hears while its call is held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallProgress {
    /// The call's id.
    pub call_id: String,
    /// The approval request it waits for.
    pub approval_id: String,
    /// Who may approve it.
    pub approvers: Vec<String>,
    /// How many distinct approvers it needs.
    pub required: u32,
    /// How long it has waited so far.
    pub waited: std::time::Duration,
    /// How long it waits at most before it is answered "pending".
    pub wait: std::time::Duration,
    /// When the approval request expires, ms since the epoch.
    pub expires_at: i64,
}

/// Why a call produced no output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// Refused before it ran; the refusal names the layer.
    #[error("{0}")]
    Refused(Refusal),
    /// It ran and failed (tool error, trap, limit, cancelled).
    #[error("{0}")]
    Failed(CallFailure),
    /// Its outcome could not be recorded, so it is not returned.
    #[error("the outcome could not be recorded in the audit chain, so it is withheld: {0}")]
    Unaudited(AuditError),
}

impl CallError {
    /// A stable name for the outcome.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Refused(Refusal::PendingApproval { .. }) => "held",
            Self::Refused(_) => "refused",
            Self::Failed(f) => f.kind(),
            Self::Unaudited(_) => "unaudited",
        }
    }
}

/// The answer to a call.
#[derive(Debug, Clone)]
pub struct CallResponse {
    /// The call's id (in every audit record of the call).
    pub call_id: String,
    /// The sequence number of the call's final audit record.
    pub audit_seq: Option<u64>,
    /// The output (JSON text) or why there is none.
    pub outcome: Result<String, CallError>,
}
