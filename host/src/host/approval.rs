//! The approval gate: a held call waits for a named human, bound to the
//! exact call; an approval is used once.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::audit::{cap, cap_at};
use crate::authz::{Agent, Refusal, TaskToken};
use crate::host::Host;
use crate::sandbox::CancelToken;
use crate::state::{ApprovalStatus, NewApproval, now_ms};
use crate::tool::Impact;

/// How often a waiting call looks at the request again.
const POLL: Duration = Duration::from_millis(50);

/// The approval a call runs under.
#[derive(Debug, Clone)]
pub(crate) struct Approved {
    pub(crate) id: String,
    pub(crate) by: String,
    pub(crate) reason: Option<String>,
}

impl Host {
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn approval_gate(
        &self,
        token: &TaskToken,
        agent: &Agent,
        tool: &str,
        impact: Impact,
        args: &Value,
        args_digest: &str,
        policies: &[String],
        cancel: &CancelToken,
        attr: &mut super::call::AttributionRef,
    ) -> Result<Approved, Refusal> {
        let inner = &self.inner;
        let state = inner.admin.state();
        let approvers = inner.authz.approvers(tool, impact);
        let why = format!(
            "policy {} holds {impact}-impact calls until a named human approves",
            policies.join(", ")
        );
        if approvers.is_empty() {
            return Err(Refusal::Policy {
                policies: policies.to_vec(),
                reason: format!(
                    "{why}, and no approver is configured for {tool} (set [approvals] in the host config)"
                ),
            });
        }
        let host_err = |e: crate::state::StateError| Refusal::Host(e.to_string());
        let deadline = Instant::now() + inner.authz.approval_wait;
        loop {
            let request = match state
                .open_approval_for(&agent.id, &token.task, tool, args_digest)
                .map_err(host_err)?
            {
                Some(a) => a,
                None => {
                    let new = NewApproval {
                        agent: agent.id.clone(),
                        task: token.task.clone(),
                        tool: tool.to_owned(),
                        args_digest: args_digest.to_owned(),
                        token_id: token.id.clone(),
                        impact: impact.as_str().to_owned(),
                        why: why.clone(),
                        summary: cap_at(&args.to_string(), 2048),
                        expires_at: now_ms()
                            + i64::try_from(inner.authz.approval_expiry.as_millis())
                                .unwrap_or(i64::MAX / 4),
                    };
                    let a = state.request_approval(&new).map_err(host_err)?;
                    let data = json!({"approval_id": a.id, "call_id": attr.get("call_id"), "agent": a.agent, "task": a.task, "tool": a.tool, "args_digest": a.args_digest, "token_id": a.token_id, "approvers": approvers, "why": cap(&why)});
                    inner
                        .admin
                        .audit()
                        .append("approval.requested", data, false)
                        .await
                        .map_err(|e| {
                            Refusal::Host(format!("the audit chain cannot be written: {e}"))
                        })?;
                    a
                }
            };
            attr.set("approval_id", request.id.clone());
            match request.status {
                ApprovalStatus::Approved => {
                    if state.consume_approval(&request.id).map_err(host_err)? {
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
            if Instant::now() >= deadline || cancel.is_cancelled() {
                return Err(Refusal::PendingApproval {
                    approval_id: request.id,
                    approvers: approvers.join(", "),
                    why,
                });
            }
            tokio::select! {
                () = tokio::time::sleep(POLL) => {}
                () = cancel.cancelled() => {}
            }
            // A decision may also have been a denial of this very request.
            if let Some(a) = state.approval(&request.id).map_err(host_err)?
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
