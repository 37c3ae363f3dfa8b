//! Held calls as tasks: a call that policy holds for a human's approval is
//! answered at once with a task the agent polls — over MCP the tasks
//! extension (`io.modelcontextprotocol/tasks`, SEP-2663: `resultType:
//! "task"`, `tasks/get`, `tasks/cancel`), over HTTP/JSON `202 Accepted`
//! with the task's URL. The call itself goes on waiting in the approval
//! gate until a decision or the request's expiry: an approval runs it and
//! completes the task with the tool's result, a denial or expiry fails it
//! with the reason, a stop button (halt, quarantine, revocation, disable)
//! or `tasks/cancel` cancels it. The agent never re-sends the call.
//!
//! A call that is not held (or held under an approval given already) is
//! answered as before, in the same request. Tasks live in this process
//! (the call they stand for runs here) and are kept for [`RETAIN`] after
//! they end; only the agent that started a task can see or cancel it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};

use crate::api::call;
use crate::api::metrics::Metrics;
use crate::authz::Refusal;
use crate::sandbox::CallFailure;
use crate::vocab::CancelToken;
use crate::{CallError, CallRequest, CallResponse, Host};

/// How long an ended task is kept for its agent to read.
pub(crate) const RETAIN: Duration = Duration::from_secs(3600);
/// How often an agent is asked to poll.
pub(crate) const POLL_MS: u64 = 1000;
/// Tasks kept at most; past that a held call is answered the old way
/// (it waits `[approvals] wait`, then "pending").
const MAX_TASKS: usize = 10_000;

/// Where a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// A task as its agent sees it.
#[derive(Debug, Clone)]
pub(crate) struct TaskView {
    pub(crate) id: String,
    pub(crate) status: Status,
    pub(crate) message: String,
    pub(crate) approval_id: String,
    pub(crate) call_id: String,
    pub(crate) created: DateTime<Utc>,
    pub(crate) updated: DateTime<Utc>,
    /// How long the task is kept from its creation, in ms.
    pub(crate) ttl_ms: u64,
    /// The call's answer, once it ended.
    pub(crate) response: Option<CallResponse>,
}

impl TaskView {
    /// RFC 3339 with milliseconds, as the tasks extension wants it.
    pub(crate) fn created_at(&self) -> String {
        self.created.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    pub(crate) fn updated_at(&self) -> String {
        self.updated.to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

#[derive(Debug)]
struct Entry {
    agent: String,
    view: TaskView,
    cancel: CancelToken,
    cancel_asked: bool,
    /// When it may be forgotten.
    forget_at: Instant,
}

/// The tasks of this server. Cheap to share.
#[derive(Debug, Default)]
pub(crate) struct Tasks {
    entries: Mutex<HashMap<String, Entry>>,
}

/// How a call started with tasks allowed was answered.
#[derive(Debug)]
pub(crate) enum Started {
    /// In the same request.
    Done(CallResponse),
    /// As a task.
    Task(TaskView),
}

/// Why a task cannot be read or cancelled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no task {0} of this token's agent (it never was, or it ended more than an hour ago)")]
pub(crate) struct NoTask(pub(crate) String);

/// The status a call's answer gives its task.
fn status_of(resp: &CallResponse, cancel_asked: bool) -> (Status, String) {
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

impl Tasks {
    /// Make `req` through the host; if policy holds it for approval, answer
    /// with a task and let the call wait for its decision in the
    /// background. `stop` resolving first (the client went away before
    /// any answer) cancels the call.
    pub(crate) async fn start(
        self: &Arc<Self>,
        host: &Host,
        metrics: &Arc<Metrics>,
        agent: String,
        mut req: CallRequest,
        stop: impl Future<Output = ()>,
    ) -> Started {
        if self.len() >= MAX_TASKS {
            return Started::Done(call::spawn(host, metrics, req).finish().await);
        }
        // The call waits as long as its approval request lives.
        req.wait = Some(host.config().approvals.expiry + Duration::from_secs(5));
        let (tx, mut held) = tokio::sync::mpsc::unbounded_channel();
        req.progress = Some(tx);
        let running = call::spawn(host, metrics, req);
        let cancel = running.cancel_token();
        let mut done = tokio::spawn(running.finish());
        // Until the call is answered or handed to a task, dropping this
        // future (the client went away) cancels it.
        let guard = Disarm(Some(cancel.clone()));
        tokio::pin!(stop);
        let answer = tokio::select! {
            r = &mut done => Started::Done(joined(r)),
            Some(p) = held.recv() => {
                let view = self.create(agent, p, cancel.clone(), host);
                let (tasks, id) = (Arc::clone(self), view.id.clone());
                tokio::spawn(async move {
                    // Progress keeps coming while it waits; nobody listens.
                    let drain = tokio::spawn(async move { while held.recv().await.is_some() {} });
                    let resp = joined(done.await);
                    drain.abort();
                    tasks.finish(&id, resp);
                });
                Started::Task(view)
            }
            () = &mut stop => {
                cancel.cancel(call::CLIENT_GONE);
                Started::Done(joined(done.await))
            }
        };
        guard.disarm();
        answer
    }

    fn create(
        &self,
        agent: String,
        p: crate::mediation::CallProgress,
        cancel: CancelToken,
        host: &Host,
    ) -> TaskView {
        let now = Utc::now();
        let id = crate::vocab::random_id("task", 16);
        let lives = host.config().approvals.expiry + RETAIN;
        let view = TaskView {
            id: id.clone(),
            status: Status::Working,
            message: format!(
                "held for approval {}: needs {} of {}",
                p.approval_id,
                p.required,
                p.approvers.join(", ")
            ),
            approval_id: p.approval_id,
            call_id: p.call_id,
            created: now,
            updated: now,
            ttl_ms: u64::try_from(lives.as_millis()).unwrap_or(u64::MAX),
            response: None,
        };
        let mut entries = self.lock();
        let instant = Instant::now();
        entries.retain(|_, e| e.forget_at > instant);
        entries.insert(
            id,
            Entry {
                agent,
                view: view.clone(),
                cancel,
                cancel_asked: false,
                forget_at: instant + lives,
            },
        );
        view
    }

    fn finish(&self, id: &str, resp: CallResponse) {
        let mut entries = self.lock();
        if let Some(e) = entries.get_mut(id) {
            let (status, message) = status_of(&resp, e.cancel_asked);
            e.view.status = status;
            e.view.message = message;
            e.view.updated = Utc::now();
            e.view.response = Some(resp);
            e.forget_at = Instant::now() + RETAIN;
        }
    }

    /// Task `id` of `agent`.
    pub(crate) fn get(&self, agent: &str, id: &str) -> Result<TaskView, NoTask> {
        let entries = self.lock();
        match entries.get(id) {
            Some(e) if e.agent == agent && e.forget_at > Instant::now() => Ok(e.view.clone()),
            _ => Err(NoTask(id.to_owned())),
        }
    }

    /// Cancel task `id` of `agent` (cooperatively: a call already running
    /// is stopped like any cancelled call, and recorded so).
    pub(crate) fn cancel(&self, agent: &str, id: &str) -> Result<(), NoTask> {
        let mut entries = self.lock();
        match entries.get_mut(id) {
            Some(e) if e.agent == agent => {
                if e.view.status == Status::Working {
                    e.cancel_asked = true;
                    e.cancel.cancel("the agent cancelled the task");
                }
                Ok(())
            }
            _ => Err(NoTask(id.to_owned())),
        }
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn joined(r: Result<CallResponse, tokio::task::JoinError>) -> CallResponse {
    r.unwrap_or_else(|e| CallResponse {
        call_id: String::new(),
        audit_seq: None,
        outcome: Err(CallError::Refused(Refusal::Host(format!(
            "the call's task failed: {e}"
        )))),
    })
}

/// Cancels the call when dropped, unless disarmed.
struct Disarm(Option<CancelToken>);

impl Disarm {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for Disarm {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            c.cancel(call::CLIENT_GONE);
        }
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
}
