//! Deciding held calls. A decision is signed by the approver over the
//! approval id and the digest of what the held call is bound to, so the
//! approver signs exactly the call they saw. The approver must be a human
//! operator allowed for the tool (or its impact level), must not be the
//! agent that made the call, and with `four-eyes` must not be the operator
//! who issued the token it runs under. A call that needs N approvals runs
//! only after N distinct approvers; one denial decides. Each decision is
//! recorded, with its signature, before it takes effect.

use crate::audit::event::{ApprovalDecided, Event};
use crate::keys::{ActionKind, SignedAction};
use crate::operator::{OperatorActions, OperatorError, kept};
use crate::state::{Approval, ApprovalStatus, Decided, now_ms};
use crate::vocab::cap;

impl OperatorActions {
    /// Approval requests; only open ones unless `all`.
    ///
    /// # Errors
    ///
    /// When the state cannot be read.
    pub async fn approvals(&self, all: bool) -> Result<Vec<Approval>, OperatorError> {
        Ok(self.state.list_approvals(all).await?)
    }

    /// One approval request.
    ///
    /// # Errors
    ///
    /// When there is no such request or the state cannot be read.
    pub async fn approval(&self, id: &str) -> Result<Approval, OperatorError> {
        self.state
            .approval(id)
            .await?
            .ok_or_else(|| OperatorError::Invalid(format!("no approval request {id}")))
    }

    /// Record a signed approval or denial (its kind says which) of the
    /// request it names. Returns the request as it now stands: approved
    /// only once it has as many distinct approvals as it requires.
    ///
    /// # Errors
    ///
    /// [`OperatorError`] naming why the decision was refused; nothing was
    /// recorded or changed.
    pub async fn decide(&self, signed: &SignedAction) -> Result<Approval, OperatorError> {
        let kind = signed.action.kind;
        if !matches!(kind, ActionKind::Approve | ActionKind::Deny) {
            return Err(OperatorError::Mismatch {
                signed: kind.as_str().into(),
                asked: "approve or deny".into(),
            });
        }
        let id = signed.action.target.as_str();
        let a = self.approval(id).await?;
        let op = self.authenticate(signed, kind, id).await?;
        let b = &a.binding;
        let digest = b.digest();
        if signed.action.binding.as_deref() != Some(digest.as_str()) {
            return Err(OperatorError::Mismatch {
                signed: format!(
                    "a decision on a call bound to {}",
                    signed.action.binding.as_deref().unwrap_or("nothing")
                ),
                asked: format!(
                    "approval {id}, bound to {digest} ({} {} for {} task {}, version {})",
                    b.tool, b.args_digest, b.agent, b.task, b.plugin_version
                ),
            });
        }
        let by = op.name.as_str();
        if by == b.agent {
            return Err(OperatorError::NotApprover(format!(
                "{by} is the agent that made the call; an agent never approves its own calls"
            )));
        }
        if op.automation {
            return Err(OperatorError::NotApprover(format!(
                "{by} is an automation; only a named human approves or denies a held call"
            )));
        }
        if !op.may_approve(&b.tool, &a.impact) {
            let mut approvers = self.config.approvers(&b.tool, impact_of(&a));
            approvers.retain(|x| *x != b.agent);
            return Err(OperatorError::NotApprover(format!(
                "{by} may not decide {} ({} impact); approvers: {}",
                b.tool,
                a.impact,
                if approvers.is_empty() {
                    "none configured".into()
                } else {
                    approvers.join(", ")
                }
            )));
        }
        if self.config.approvals.four_eyes && a.token_issuer == by && kind == ActionKind::Approve {
            return Err(OperatorError::NotApprover(format!(
                "{by} issued the token this call runs under; with four-eyes another approver must approve it"
            )));
        }
        if a.status != ApprovalStatus::Pending || a.expired(now_ms()) {
            return Err(OperatorError::Invalid(format!(
                "approval {id} is {}, not pending",
                a.shown_status(now_ms())
            )));
        }
        if kind == ActionKind::Approve && a.votes.iter().any(|v| v == by) {
            return Err(OperatorError::Invalid(format!(
                "{by} approved {id} already; it needs {} distinct approvers",
                a.required
            )));
        }
        let approve = kind == ActionKind::Approve;
        let count = u32::try_from(a.votes.len()).unwrap_or(u32::MAX) + u32::from(approve);
        let decided = ApprovalDecided {
            release: self.release.clone(),
            approval_id: id.to_owned(),
            agent: b.agent.clone(),
            task: b.task.clone(),
            tool: b.tool.clone(),
            args_digest: b.args_digest.clone(),
            plugin_version: Some(b.plugin_version.clone()),
            component_digest: Some(b.component_digest.clone()),
            tool_digest: Some(b.tool_digest.clone()),
            by: cap(by),
            reason: cap(&signed.action.reason),
            approvals: count,
            required: a.required,
            signed: kept(signed),
        };
        let event = if approve {
            Event::ApprovalApproved(decided)
        } else {
            Event::ApprovalDenied(decided)
        };
        self.audit.append(&event, true).await?;
        match self
            .state
            .decide_approval(id, approve, by, &signed.action.reason)
            .await?
        {
            Decided::Recorded(a) => Ok(*a),
            Decided::AlreadyVoted => Err(OperatorError::Invalid(format!(
                "{by} approved {id} already"
            ))),
            Decided::NotPending => Err(OperatorError::Invalid(format!(
                "approval {id} was decided or expired meanwhile"
            ))),
        }
    }
}

fn impact_of(a: &Approval) -> crate::vocab::Impact {
    a.impact.parse().unwrap_or(crate::vocab::Impact::High)
}
