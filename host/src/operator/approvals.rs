//! Deciding held calls: the approver must be allowed for the tool (or its
//! impact level) and must not be the agent that made the call; the decision
//! is recorded before it takes effect.

use crate::audit::event::{ApprovalDecided, Event};
use crate::operator::{OperatorActions, OperatorError};
use crate::state::{Approval, ApprovalStatus, now_ms};
use crate::vocab::{Impact, cap};

impl OperatorActions {
    /// Approval requests; only open ones unless `all`.
    ///
    /// # Errors
    ///
    /// When the state cannot be read.
    pub async fn approvals(&self, all: bool) -> Result<Vec<Approval>, OperatorError> {
        Ok(self.state.list_approvals(all).await?)
    }

    /// Approve or deny a pending request as `by`.
    ///
    /// # Errors
    ///
    /// [`OperatorError`] naming why the decision was refused.
    pub async fn decide(
        &self,
        id: &str,
        approve: bool,
        by: &str,
        reason: &str,
    ) -> Result<Approval, OperatorError> {
        let a = self
            .state
            .approval(id)
            .await?
            .ok_or_else(|| OperatorError::Invalid(format!("no approval request {id}")))?;
        let b = &a.binding;
        if by == b.agent {
            return Err(OperatorError::NotApprover(format!(
                "{by} is the agent that made the call; an agent never approves its own calls"
            )));
        }
        let impact = a.impact.parse::<Impact>().unwrap_or(Impact::High);
        let approvers = self.config.approvals.approvers(&b.tool, impact);
        if !approvers.iter().any(|x| x == by) {
            return Err(OperatorError::NotApprover(format!(
                "{by} may not approve {} ({} impact); approvers: {}",
                b.tool,
                a.impact,
                if approvers.is_empty() {
                    "none configured".into()
                } else {
                    approvers.join(", ")
                }
            )));
        }
        if a.status != ApprovalStatus::Pending || a.expired(now_ms()) {
            return Err(OperatorError::Invalid(format!(
                "approval {id} is {}, not pending",
                a.shown_status(now_ms())
            )));
        }
        let decided = ApprovalDecided {
            approval_id: id.to_owned(),
            agent: b.agent.clone(),
            task: b.task.clone(),
            tool: b.tool.clone(),
            args_digest: b.args_digest.clone(),
            plugin_version: Some(b.plugin_version.clone()),
            component_digest: Some(b.component_digest.clone()),
            tool_digest: Some(b.tool_digest.clone()),
            by: cap(by),
            reason: cap(reason),
        };
        let event = if approve {
            Event::ApprovalApproved(decided)
        } else {
            Event::ApprovalDenied(decided)
        };
        self.audit.append(&event, true).await?;
        self.state
            .decide_approval(id, approve, by, reason)
            .await?
            .ok_or_else(|| {
                OperatorError::Invalid(format!("approval {id} was decided or expired meanwhile"))
            })
    }
}
