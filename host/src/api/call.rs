//! One mediated call on behalf of a remote client, run inline in the
//! request's own task — no task of its own, no thread hop — yet always
//! finished and audited: if the request future is dropped (the client went
//! away, the connection closed) while the call is unfinished, the call is
//! cancelled and what is left of it is handed to a task of its own, which
//! ends it and records it. The call is boxed so that it can move to that
//! task without being polled anywhere else first.

use std::future::Future;
use std::pin::Pin;

use tokio::task::JoinHandle;

use crate::authz::Refusal;
use crate::vocab::CancelToken;
use crate::{CallError, CallRequest, CallResponse, Host};

/// Why a call is stopped when the client's request is dropped mid-call.
pub(crate) const CLIENT_GONE: &str = "the client went away before the call finished";

type Running = Pin<Box<dyn Future<Output = CallResponse> + Send>>;

/// A call being run by whoever awaits it. Dropping it unfinished cancels
/// the call and hands it to a task of its own, which ends it (audited) and
/// frees its instance.
pub(crate) struct InlineCall {
    cancel: CancelToken,
    call: Option<Running>,
}

impl std::fmt::Debug for InlineCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InlineCall")
            .field("finished", &self.call.is_none())
            .finish_non_exhaustive()
    }
}

/// Make `req`'s call through the host's mediated path, to be run by
/// whoever awaits it. (The host counts the call in its metrics; the call
/// runs in the caller's span, so its span is a child of the server's.)
pub(crate) fn start(host: &Host, req: CallRequest) -> InlineCall {
    let cancel = CancelToken::new();
    let (host, token) = (host.clone(), cancel.clone());
    let span = tracing::Span::current();
    let call: Running = Box::pin(tracing::Instrument::instrument(
        async move { host.call_cancellable(req, token).await },
        span,
    ));
    InlineCall {
        cancel,
        call: Some(call),
    }
}

impl InlineCall {
    /// Run the call to its answer (cancel-safe: dropped unfinished, the
    /// call goes on in a task of its own, cancelled).
    pub(crate) async fn answer(&mut self) -> CallResponse {
        let Some(call) = self.call.as_mut() else {
            return lost("the call was already collected");
        };
        let resp = call.await;
        self.call = None;
        resp
    }

    /// Run the call to its answer; if `stop` resolves first, cancel the
    /// call with `why` and run it until it ends.
    pub(crate) async fn finish_unless(
        mut self,
        stop: impl Future<Output = ()>,
        why: &str,
    ) -> CallResponse {
        tokio::pin!(stop);
        tokio::select! {
            r = self.answer() => r,
            () = &mut stop => {
                self.cancel.cancel(why);
                self.answer().await
            }
        }
    }

    /// Run the call to its answer.
    pub(crate) async fn finish(mut self) -> CallResponse {
        self.answer().await
    }

    /// What cancels the call.
    pub(crate) fn cancel_token(&self) -> CancelToken {
        self.cancel.clone()
    }

    /// Hand the rest of the call to a task of its own (a call that goes
    /// on after its request was answered, e.g. held for approval as a
    /// task); it is not cancelled.
    pub(crate) fn detach(mut self) -> JoinHandle<CallResponse> {
        match self.call.take() {
            Some(call) => tokio::spawn(call),
            None => tokio::spawn(async { lost("the call was already collected") }),
        }
    }
}

impl Drop for InlineCall {
    fn drop(&mut self) {
        let Some(call) = self.call.take() else { return };
        self.cancel.cancel(CLIENT_GONE);
        // The call ends, cancelled, and is recorded in a task of its own.
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(call);
            }
            Err(_) => tracing::error!(
                "a call dropped outside the runtime could not be finished; its host records it as interrupted at its next start"
            ),
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

/// The answer of a call handed to a task of its own.
pub(crate) fn joined(r: Result<CallResponse, tokio::task::JoinError>) -> CallResponse {
    r.unwrap_or_else(|e| lost(&format!("the call's task failed: {e}")))
}
