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
//! answered as before, in the same request. The call runs in the process
//! it started in; its task is kept there and in the shared state (for
//! [`RETAIN`] after it ends), so the agent may poll — or cancel it —
//! through any host of the fleet: a cancel asked elsewhere is left in the
//! shared state, where the host running the call looks for it every
//! second. Only the agent that started a task can see or cancel it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::api::call;
use crate::state::{SharedState, doc, now_ms};
use crate::vocab::CancelToken;
use crate::{CallRequest, CallResponse, Host};

pub(crate) use crate::api::task_view::{Ended, Kept, POLL_MS, Status, TaskView, status_of};

/// How long an ended task is kept for its agent to read.
pub(crate) const RETAIN: Duration = Duration::from_secs(3600);
/// Tasks kept at most; past that a held call is answered the old way
/// (it waits `[approvals] wait`, then "pending").
const MAX_TASKS: usize = 10_000;
/// How often the host running a task looks for a cancel asked elsewhere.
const CANCEL_POLL: Duration = Duration::from_secs(1);

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
    /// Where every host of the fleet finds them (none: this process only).
    shared: Option<Arc<dyn SharedState>>,
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

impl Tasks {
    /// Tasks kept in `state` too, for every host on it.
    pub(crate) fn shared(state: Arc<dyn SharedState>) -> Self {
        Self {
            entries: Mutex::default(),
            shared: Some(state),
        }
    }

    /// Make `req` through the host; if policy holds it for approval, answer
    /// with a task and let the call wait for its decision in the
    /// background. `stop` resolving first (the client went away before
    /// any answer) cancels the call.
    pub(crate) async fn start(
        self: &Arc<Self>,
        host: &Host,
        agent: String,
        mut req: CallRequest,
        stop: impl Future<Output = ()>,
    ) -> Started {
        if self.len() >= MAX_TASKS {
            return Started::Done(call::start(host, req).finish().await);
        }
        // The call waits as long as its approval request lives.
        req.wait = Some(host.config().approvals.expiry + Duration::from_secs(5));
        let (tx, mut held) = tokio::sync::mpsc::unbounded_channel();
        req.progress = Some(tx);
        // The call runs here, in the request's task, until it is answered
        // or held; dropping this future unfinished (the client went away)
        // cancels it and hands it to a task of its own to end it.
        let mut running = call::start(host, req);
        let cancel = running.cancel_token();
        tokio::pin!(stop);
        tokio::select! {
            r = running.answer() => Started::Done(r),
            Some(p) = held.recv() => {
                // Held: the call goes on in a task of its own, as a task
                // (dropped before that, it is cancelled and ended as any).
                let view = self.create(agent, p, cancel.clone(), host).await;
                let done = running.detach();
                let (tasks, id) = (Arc::clone(self), view.id.clone());
                tokio::spawn(async move {
                    // Progress keeps coming while it waits; nobody listens.
                    let drain = tokio::spawn(async move { while held.recv().await.is_some() {} });
                    let watch = tokio::spawn(Arc::clone(&tasks).watch_cancel(id.clone()));
                    let resp = call::joined(done.await);
                    drain.abort();
                    watch.abort();
                    tasks.finish(&id, resp).await;
                });
                Started::Task(view)
            }
            () = &mut stop => {
                cancel.cancel(call::CLIENT_GONE);
                Started::Done(running.answer().await)
            }
        }
    }

    async fn create(
        &self,
        agent: String,
        p: crate::mediation::CallProgress,
        cancel: CancelToken,
        host: &Host,
    ) -> TaskView {
        let now = now_ms();
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
            created_ms: now,
            updated_ms: now,
            ttl_ms: u64::try_from(lives.as_millis()).unwrap_or(u64::MAX),
            ended: None,
        };
        {
            let mut entries = self.lock();
            let instant = Instant::now();
            entries.retain(|_, e| e.forget_at > instant);
            entries.insert(
                id,
                Entry {
                    agent: agent.clone(),
                    view: view.clone(),
                    cancel,
                    cancel_asked: false,
                    forget_at: instant + lives,
                },
            );
        }
        self.keep(&agent, &view, lives).await;
        view
    }

    async fn finish(&self, id: &str, resp: CallResponse) {
        let kept = {
            let mut entries = self.lock();
            entries.get_mut(id).map(|e| {
                let (status, message) = status_of(&resp, e.cancel_asked);
                e.view.status = status;
                e.view.message = message;
                e.view.updated_ms = now_ms();
                e.view.ended = Some(Ended::of(&resp));
                e.forget_at = Instant::now() + RETAIN;
                (e.agent.clone(), e.view.clone())
            })
        };
        if let Some((agent, view)) = kept {
            self.keep(&agent, &view, RETAIN).await;
        }
    }

    /// Put a task where every host finds it, for `lives`.
    async fn keep(&self, agent: &str, view: &TaskView, lives: Duration) {
        let Some(state) = &self.shared else { return };
        let kept = Kept {
            agent: agent.to_owned(),
            view: view.clone(),
        };
        let body = serde_json::to_string(&kept).unwrap_or_default();
        let until = now_ms().saturating_add(i64::try_from(lives.as_millis()).unwrap_or(i64::MAX));
        if let Err(e) = state.put_doc(doc::TASK, &view.id, &body, until).await {
            tracing::warn!(
                "task {} is not in the shared state (only this host can answer for it): {e}",
                view.id
            );
        }
    }

    /// While task `id` works here: cancel it when its agent asked for that
    /// through another host.
    async fn watch_cancel(self: Arc<Self>, id: String) {
        let Some(state) = self.shared.clone() else {
            return;
        };
        loop {
            tokio::time::sleep(CANCEL_POLL).await;
            if let Ok(Some(_)) = state.take_doc(doc::TASK_CANCEL, &id).await {
                let mut entries = self.lock();
                if let Some(e) = entries.get_mut(&id)
                    && e.view.status == Status::Working
                {
                    e.cancel_asked = true;
                    e.cancel.cancel("the agent cancelled the task");
                }
                return;
            }
        }
    }

    /// Task `id` of `agent`: from this process, else from the shared state.
    pub(crate) async fn get(&self, agent: &str, id: &str) -> Result<TaskView, NoTask> {
        {
            let entries = self.lock();
            match entries.get(id) {
                Some(e) if e.agent == agent && e.forget_at > Instant::now() => {
                    return Ok(e.view.clone());
                }
                Some(_) => return Err(NoTask(id.to_owned())),
                None => {}
            }
        }
        match self.kept(id).await {
            Some(k) if k.agent == agent => Ok(k.view),
            _ => Err(NoTask(id.to_owned())),
        }
    }

    async fn kept(&self, id: &str) -> Option<Kept> {
        let state = self.shared.as_ref()?;
        let body = state.doc(doc::TASK, id).await.ok().flatten()?;
        serde_json::from_str(&body).ok()
    }

    /// Cancel task `id` of `agent` (cooperatively: a call already running
    /// is stopped like any cancelled call, and recorded so). A task running
    /// on another host is asked through the shared state.
    pub(crate) async fn cancel(&self, agent: &str, id: &str) -> Result<(), NoTask> {
        {
            let mut entries = self.lock();
            match entries.get_mut(id) {
                Some(e) if e.agent == agent => {
                    if e.view.status == Status::Working {
                        e.cancel_asked = true;
                        e.cancel.cancel("the agent cancelled the task");
                    }
                    return Ok(());
                }
                Some(_) => return Err(NoTask(id.to_owned())),
                None => {}
            }
        }
        let kept = self
            .kept(id)
            .await
            .filter(|k| k.agent == agent)
            .ok_or_else(|| NoTask(id.to_owned()))?;
        if kept.view.status == Status::Working
            && let Some(state) = &self.shared
        {
            let until = now_ms().saturating_add(i64::try_from(RETAIN.as_millis()).unwrap_or(0));
            state
                .put_doc(doc::TASK_CANCEL, id, "cancel", until)
                .await
                .map_err(|_| NoTask(id.to_owned()))?;
        }
        Ok(())
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}
