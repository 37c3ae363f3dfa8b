//! The approval gate: a held call waits for a named human, bound to the
//! exact call and the exact plugin it would run under; an approval is used
//! once.

use std::time::{Duration, Instant};

use crate::audit::event::{ApprovalRequested, Event};
use crate::authz::{Grant, Refusal};
use crate::mediation::Host;
use crate::mediation::context::CallContext;
use crate::state::{ApprovalBinding, ApprovalStatus, NewApproval, StateError, now_ms};
use crate::vocab::{CancelToken, cap, cap_at};

/// How often a waiting call looks at the request again.
const POLL: Duration = Duration::from_millis(50);
/// How often a waiting caller that asked for progress hears of it.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// The approval a call runs under.
#[derive(Debug, Clone)]
pub(crate) struct Approved {
    pub(crate) id: String,
    pub(crate) by: String,
    pub(crate) reason: Option<String>,
}

/// What an approval for `grant` is bound to.
pub(crate) fn binding(grant: &Grant<'_>) -> ApprovalBinding {
    let m = grant.plugin.manifest.manifest();
    ApprovalBinding {
        agent: grant.agent.id.clone(),
        task: grant.token.task.clone(),
        tool: grant.qualified.clone(),
        args_digest: grant.input.hex().to_owned(),
        plugin_version: m.plugin.version.clone(),
        component_digest: grant.plugin.manifest.component_digest(),
        tool_digest: grant
            .plugin
            .tool_digests
            .get(&grant.tool.name)
            .cloned()
            .unwrap_or_default(),
    }
}

impl Host {
    /// Wait (up to the configured time) for a decision on `grant`'s
    /// approval request, creating the request if there is none. The
    /// request's id is in the result either way (`Approved::id`, or the
    /// pending or denied refusal).
    pub(crate) async fn approval_gate(
        &self,
        grant: &Grant<'_>,
        ctx: &CallContext,
        cancel: &CancelToken,
    ) -> Result<Approved, Refusal> {
        let Some(need) = &grant.approval else {
            return Err(Refusal::Host("no approval is needed".into()));
        };
        let inner = &self.inner;
        let state = &inner.state;
        let loaded = self.loaded();
        let approvals = &loaded.config.approvals;
        let host_err = |e: StateError| Refusal::Host(e.to_string());
        let bound = binding(grant);
        let started = Instant::now();
        let wait = ctx.wait.unwrap_or(approvals.wait);
        let deadline = started + wait;
        let mut told: Option<Instant> = None;
        // The request this call opened or joined: once it expires, the
        // call is answered so (a caller may wait longer than it lives).
        let mut first: Option<(String, i64)> = None;
        loop {
            if let Some((id, expires_at)) = &first
                && now_ms() >= *expires_at
            {
                return Err(Refusal::ApprovalExpired {
                    approval_id: id.clone(),
                });
            }
            let request = match state.open_approval_for(&bound).await.map_err(host_err)? {
                Some(a) => a,
                None => {
                    let new = NewApproval {
                        binding: bound.clone(),
                        required: need.required,
                        token_issuer: grant.token.by.clone().unwrap_or_default(),
                        token_id: grant.token.id.clone(),
                        impact: grant.impact().as_str().to_owned(),
                        why: format!(
                            "{}; bound to {} {} (component {}, tool definition {})",
                            need.why,
                            grant.plugin.id(),
                            bound.plugin_version,
                            bound.component_digest,
                            &bound.tool_digest
                        ),
                        summary: cap_at(&grant.input.value().to_string(), 2048),
                        expires_at: now_ms()
                            + i64::try_from(approvals.expiry.as_millis()).unwrap_or(i64::MAX / 4),
                    };
                    let a = state.request_approval(&new).await.map_err(host_err)?;
                    let event = Event::ApprovalRequested(Box::new(ApprovalRequested {
                        approval_id: a.id.clone(),
                        who: ctx.who(grant.known().attribution(&grant.qualified)),
                        args_digest: bound.args_digest.clone(),
                        tool_digest: bound.tool_digest.clone(),
                        approvers: need.approvers.clone(),
                        why: cap(&a.why),
                        policies: need.policies.clone(),
                        prompt: ctx.prompt().map(str::to_owned),
                        context: ctx.context().map(str::to_owned),
                    }));
                    inner.audit.append(&event, false).await.map_err(|e| {
                        Refusal::Host(format!("the audit chain cannot be written: {e}"))
                    })?;
                    crate::mediation::notify::approval_requested(
                        &loaded.config,
                        crate::mediation::notify::Held {
                            approval: a.clone(),
                            agent_owner: grant.agent.owner.clone(),
                            approvers: need.approvers.clone(),
                        },
                    );
                    a
                }
            };
            match request.status {
                ApprovalStatus::Approved => {
                    if state
                        .consume_approval(&request.id)
                        .await
                        .map_err(host_err)?
                    {
                        return Ok(Approved {
                            id: request.id,
                            by: request.decided_by.unwrap_or_default(),
                            reason: request.decision_reason,
                        });
                    }
                    // Another identical call used it first: this one needs
                    // its own approval.
                    continue;
                }
                ApprovalStatus::Denied => {
                    return Err(Refusal::ApprovalDenied {
                        approval_id: request.id,
                        by: request.decided_by.unwrap_or_default(),
                        reason: request.decision_reason,
                    });
                }
                ApprovalStatus::Used => continue,
                ApprovalStatus::Pending => {}
            }
            first.get_or_insert_with(|| (request.id.clone(), request.expires_at));
            if let Some(tx) = &ctx.progress
                && told.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY)
            {
                told = Some(Instant::now());
                let _ = tx.send(crate::mediation::CallProgress {
                    call_id: ctx.call_id.clone(),
                    approval_id: request.id.clone(),
                    approvers: need.approvers.clone(),
                    required: need.required,
                    waited: started.elapsed(),
                    wait,
                    expires_at: request.expires_at,
                });
            }
            if Instant::now() >= deadline || cancel.is_cancelled() {
                return Err(Refusal::PendingApproval {
                    approval_id: request.id,
                    approvers: need.approvers.join(", "),
                    why: need.why.clone(),
                });
            }
            tokio::select! {
                () = tokio::time::sleep(POLL) => {}
                () = cancel.cancelled() => {}
            }
            // A decision may also have been a denial of this very request.
            if let Some(a) = state.approval(&request.id).await.map_err(host_err)?
                && a.status == ApprovalStatus::Denied
            {
                return Err(Refusal::ApprovalDenied {
                    approval_id: a.id,
                    by: a.decided_by.unwrap_or_default(),
                    reason: a.decision_reason,
                });
            }
        }
    }
}
