//! A held call's task as its agent sees it — what is kept in the shared
//! state, so that the agent may poll any host of the fleet: its status and,
//! once it ended, the answer already rendered for MCP and for HTTP/JSON.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::authz::Refusal;
use crate::sandbox::CallFailure;
use crate::{CallError, CallResponse};

/// How often an agent is asked to poll.
pub(crate) const POLL_MS: u64 = 1000;

/// Where a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    /// Held for approval (or running once approved).
    Working,
    /// The call ran: its result (a tool error included).
    Completed,
    /// Refused: denied, expired, or refused by another layer on the way.
    Failed,
    /// Stopped by a stop button or by the agent.
    Cancelled,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Working => "working",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// What an ended task's call answered, rendered for each channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Ended {
    /// The MCP tool result (`CallToolResult` as JSON).
    pub(crate) mcp: Value,
    /// The layer that refused it, when one did.
    pub(crate) layer: Option<String>,
    /// The HTTP/JSON answer's status.
    pub(crate) http_status: u16,
    /// The HTTP/JSON answer's body.
    pub(crate) http_body: Value,
}

impl Ended {
    pub(crate) fn of(resp: &CallResponse) -> Self {
        let layer = match &resp.outcome {
            Err(CallError::Refused(r)) => Some(r.layer().to_owned()),
            _ => None,
        };
        let mcp = serde_json::to_value(crate::api::mcp_view::tool_result(resp.clone()))
            .unwrap_or(Value::Null);
        let (status, http_body) = crate::api::answer::call_answer(resp.clone());
        Self {
            mcp,
            layer,
            http_status: status.as_u16(),
            http_body,
        }
    }
}

/// A task as its agent sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TaskView {
    pub(crate) id: String,
    pub(crate) status: Status,
    pub(crate) message: String,
    pub(crate) approval_id: String,
    pub(crate) call_id: String,
    /// Created, ms since the epoch.
    pub(crate) created_ms: i64,
    /// Last changed, ms since the epoch.
    pub(crate) updated_ms: i64,
    /// How long the task is kept from its creation, in ms.
    pub(crate) ttl_ms: u64,
    /// The call's answer, once it ended.
    pub(crate) ended: Option<Ended>,
}

fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl TaskView {
    /// RFC 3339 with milliseconds, as the tasks extension wants it.
    pub(crate) fn created_at(&self) -> String {
        rfc3339(self.created_ms)
    }

    pub(crate) fn updated_at(&self) -> String {
        rfc3339(self.updated_ms)
    }
}

/// A task as the shared state keeps it: whose it is, and its view.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Kept {
    pub(crate) agent: String,
    pub(crate) view: TaskView,
}

/// The status a call's answer gives its task.
pub(crate) fn status_of(resp: &CallResponse, cancel_asked: bool) -> (Status, String) {
    match &resp.outcome {
        _ if cancel_asked => (Status::Cancelled, "the agent cancelled the task".into()),
        Ok(_) => (Status::Completed, "the call ran".into()),
        Err(CallError::Refused(
            r @ (Refusal::Halted { .. }
            | Refusal::Quarantined { .. }
            | Refusal::Revoked { .. }
            | Refusal::PluginDisabled { .. }),
        )) => (Status::Cancelled, r.to_string()),
        Err(CallError::Failed(f @ CallFailure::Cancelled(_))) => (Status::Cancelled, f.to_string()),
        Err(CallError::Refused(r)) => (Status::Failed, r.to_string()),
        Err(e @ CallError::Unaudited(_)) => (Status::Failed, e.to_string()),
        Err(CallError::Failed(f)) => (Status::Completed, f.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(outcome: Result<String, CallError>) -> CallResponse {
        CallResponse {
            call_id: "c".into(),
            audit_seq: Some(1),
            outcome,
        }
    }

    #[test]
    fn every_answer_has_its_status() {
        let s = |o, asked| status_of(&resp(o), asked).0;
        assert_eq!(s(Ok("{}".into()), false), Status::Completed);
        assert_eq!(
            s(
                Err(CallError::Failed(CallFailure::ToolFailed("x".into()))),
                false
            ),
            Status::Completed
        );
        let denied = Refusal::ApprovalDenied {
            approval_id: "apr-1".into(),
            by: "dave".into(),
            reason: None,
        };
        assert_eq!(
            s(Err(CallError::Refused(denied.clone())), false),
            Status::Failed
        );
        assert_eq!(
            s(
                Err(CallError::Refused(Refusal::ApprovalExpired {
                    approval_id: "apr-1".into()
                })),
                false
            ),
            Status::Failed
        );
        let halted = Refusal::Halted {
            by: "carol".into(),
            reason: "incident".into(),
        };
        assert_eq!(s(Err(CallError::Refused(halted)), false), Status::Cancelled);
        assert_eq!(s(Err(CallError::Refused(denied)), true), Status::Cancelled);
    }

    #[test]
    fn an_ended_task_survives_the_shared_state() {
        let v = TaskView {
            id: "task-1".into(),
            status: Status::Completed,
            message: "the call ran".into(),
            approval_id: "apr-1".into(),
            call_id: "call-1".into(),
            created_ms: 1_700_000_000_000,
            updated_ms: 1_700_000_001_000,
            ttl_ms: 60_000,
            ended: Some(Ended::of(&resp(Ok("{\"a\":1}".into())))),
        };
        let kept = serde_json::to_string(&Kept {
            agent: "bot".into(),
            view: v.clone(),
        })
        .unwrap();
        let back: Kept = serde_json::from_str(&kept).unwrap();
        assert_eq!(back.view, v);
        assert_eq!(back.view.ended.unwrap().http_status, 200);
    }
}
