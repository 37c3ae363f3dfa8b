//! One mediated call on behalf of a remote client: run in a task of its own
//! so that it always finishes and is audited, and cancelled when the client
//! goes away (its request future is dropped) or asks to cancel.

use tokio::task::JoinHandle;

use crate::authz::Refusal;
use crate::vocab::CancelToken;
use crate::{CallError, CallRequest, CallResponse, Host};

/// Why a call is stopped when the client's request is dropped mid-call.
pub(crate) const CLIENT_GONE: &str = "the client went away before the call finished";

/// A call running in its own task. Dropping it before it finished cancels
/// the call (which then ends, is audited, and frees its instance).
#[derive(Debug)]
pub(crate) struct RunningCall {
    cancel: CancelToken,
    handle: Option<JoinHandle<CallResponse>>,
}

/// Start `req` through the host's mediated path.
/// (The host counts the call in its metrics; the task runs in the
/// caller's span, so the call's span is a child of the server's.)
pub(crate) fn spawn(host: &Host, req: CallRequest) -> RunningCall {
    let cancel = CancelToken::new();
    let (host, token) = (host.clone(), cancel.clone());
    let span = tracing::Span::current();
    let handle = tokio::spawn(tracing::Instrument::instrument(
        async move { host.call_cancellable(req, token).await },
        span,
    ));
    RunningCall {
        cancel,
        handle: Some(handle),
    }
}

impl RunningCall {
    /// Wait for the call's answer; if `stop` resolves first, cancel the call
    /// with `why` and wait for it to end.
    pub(crate) async fn finish_unless(
        mut self,
        stop: impl Future<Output = ()>,
        why: &str,
    ) -> CallResponse {
        let Some(handle) = self.handle.as_mut() else {
            return lost("the call was already collected");
        };
        tokio::pin!(stop);
        let joined = tokio::select! {
            r = &mut *handle => r,
            () = &mut stop => {
                self.cancel.cancel(why);
                (&mut *handle).await
            }
        };
        self.handle = None;
        joined.unwrap_or_else(|e| lost(&format!("the call's task failed: {e}")))
    }

    /// What cancels the call.
    pub(crate) fn cancel_token(&self) -> CancelToken {
        self.cancel.clone()
    }

    /// Wait for the call's answer.
    pub(crate) async fn finish(self) -> CallResponse {
        self.finish_unless(std::future::pending(), "").await
    }
}

impl Drop for RunningCall {
    fn drop(&mut self) {
        if self.handle.is_some() {
            self.cancel.cancel(CLIENT_GONE);
        }
    }
}

fn lost(why: &str) -> CallResponse {
    CallResponse {
        call_id: String::new(),
        audit_seq: None,
        outcome: Err(CallError::Refused(Refusal::Host(why.to_owned()))),
    }
}
