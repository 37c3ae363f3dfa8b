//! What a call shows to telemetry: its span (`warrant.call`, with the
//! stages `call.rs` opens inside it) and its count in the host's metrics —
//! for every channel, since every call comes through here.

use std::sync::atomic::Ordering;
use std::time::Instant;

use tracing::Instrument as _;

use crate::audit::event::{Attribution, Decision, DecisionResult};
use crate::authz::Refusal;
use crate::mediation::Host;
use crate::mediation::approval::Approved;
use crate::mediation::request::{CallError, CallRequest, CallResponse};
use crate::telemetry::spans;
use crate::telemetry::{CallLabels, tracing_on};
use crate::vocab::CancelToken;

/// What the metrics and the span keep of a decided call.
#[derive(Debug)]
pub(crate) struct Observed {
    /// The plugin's id, when the tool resolved to a loaded plugin.
    plugin: Option<String>,
    /// The tool as recorded (`plugin.tool`, or the name asked for).
    tool: Option<String>,
    /// The layer that decided.
    layer: String,
    /// `allow`, `held` or `deny`.
    decision: &'static str,
}

impl Observed {
    /// What `who` and `decision` say.
    pub(crate) fn of(who: &Attribution, decision: &Decision) -> Self {
        Self {
            plugin: who.plugin.clone(),
            tool: who.tool.clone(),
            layer: decision.layer.clone(),
            decision: match decision.result {
                DecisionResult::Allow | DecisionResult::AllowWithApproval => "allow",
                DecisionResult::Held => "held",
                _ => "deny",
            },
        }
    }
}

/// How an approval wait ended, for `warrant.approval.wait`.
pub(crate) fn gate_ended(gate: &Result<Approved, Refusal>, cancel: &CancelToken) -> &'static str {
    match gate {
        Ok(_) => "approved",
        Err(_) if cancel.is_cancelled() => "cancelled",
        Err(Refusal::PendingApproval { .. }) => "pending",
        Err(Refusal::ApprovalDenied { .. }) => "denied",
        Err(Refusal::ApprovalExpired { .. }) => "expired",
        Err(_) => "refused",
    }
}

impl Host {
    /// Make one call through the whole mediated path.
    pub async fn call(&self, req: CallRequest) -> CallResponse {
        self.call_cancellable(req, CancelToken::new()).await
    }

    /// [`Host::call`] that the caller can also stop through `cancel` (a
    /// client that went away): a cancelled call is stopped in the approval
    /// gate or the sandbox and audited like any other. Drive the future to
    /// completion (e.g. in its own task) so that its outcome is recorded.
    pub async fn call_cancellable(
        &self,
        mut req: CallRequest,
        cancel: CancelToken,
    ) -> CallResponse {
        let started = Instant::now();
        let inner = &self.inner;
        let n = inner.next_call.fetch_add(1, Ordering::Relaxed);
        let call_id = format!("call-{}-{n}", inner.call_prefix);
        let channel = req.channel;
        let span = spans::call(&req.tool, channel, &call_id, req.trace.as_ref());
        // The record names the trace its span is in, when the caller sent
        // none.
        if req.trace.is_none() {
            req.trace = spans::trace_of(&span);
        }
        inner.meters.in_flight(self.inflight() + 1);
        let (resp, seen) = self
            .mediate(req, cancel, n, call_id)
            .instrument(span.clone())
            .await;
        inner.meters.in_flight(self.inflight());
        inner.meters.degraded(inner.stops.degraded().is_some());
        let outcome = match &resp.outcome {
            Ok(_) => "ok",
            Err(e) => e.kind(),
        };
        // Labels are loaded plugins' names only (made-up names never grow
        // the metric set); a call refused before its tool was resolved (a
        // bad token) still counts under the tool it named, if that exists.
        let resolved;
        let (plugin, tool) = match (&seen.plugin, &seen.tool) {
            (Some(p), Some(t)) => (p.as_str(), t.as_str()),
            (_, asked) => {
                let registry = self.registry();
                resolved = asked.as_deref().and_then(|a| {
                    let (p, t) = registry.resolve(a)?;
                    Some((p.id().to_owned(), format!("{}.{}", p.id(), t.name)))
                });
                resolved
                    .as_ref()
                    .map_or(("unknown", "unknown"), |(p, t)| (p.as_str(), t.as_str()))
            }
        };
        inner.meters.call(
            &CallLabels {
                plugin,
                tool,
                decision: seen.decision,
                layer: &seen.layer,
                outcome,
                channel,
            },
            started.elapsed(),
        );
        if tracing_on() {
            span.record("warrant.plugin", plugin);
            span.record("warrant.decision", seen.decision);
            span.record("warrant.decision.layer", seen.layer.as_str());
            if let Some(seq) = resp.audit_seq {
                // As an OTLP int (a u64 would travel as text).
                span.record("warrant.audit.seq", i64::try_from(seq).unwrap_or(i64::MAX));
            }
            match &resp.outcome {
                Ok(_) => {}
                Err(CallError::Refused(r)) => spans::failed(&span, r.layer()),
                Err(e) => spans::failed(&span, e.kind()),
            }
        }
        resp
    }
}
