//! Step-up ahead of a call: what [`Authz::step_up_needed`] tells the MCP
//! endpoint before the call is made, so that it can answer HTTP 403
//! `insufficient_scope` (which an MCP result cannot carry) — a dry run of
//! the policy layer, counting and recording nothing. The call is then made
//! anyway, so its refusal is recorded like any other.

use chrono::{DateTime, Utc};

use crate::authz::decide::PolicyLayer;
use crate::authz::{Authz, PolicyDecision, TaskToken};
use crate::registry::Registry;

impl Authz {
    /// The step-up scopes the policies ask of `tool` called with `input`
    /// that `token` lacks, when those are what would deny it; `None` when
    /// the policies name no step-up scope, or the call would be decided
    /// otherwise (it is then decided, and answered, as usual).
    pub async fn step_up_needed(
        &self,
        registry: &Registry,
        token: &TaskToken,
        tool: &str,
        input: &crate::authz::CallInput,
        now: DateTime<Utc>,
    ) -> Option<Vec<String>> {
        if !self.policy.has_step_up() {
            return None;
        }
        let agent = self.config.agent(&token.agent)?;
        let (plugin, manifest_tool) = registry.resolve(tool)?;
        let args = input.arguments().ok()?;
        let history = if self.policy.uses_history() {
            self.state.task_history(&token.task).await.ok()?
        } else {
            crate::state::TaskHistory::default()
        };
        let layer = PolicyLayer {
            agent,
            plugin,
            tool: manifest_tool,
            qualified: tool,
            token,
            args: args.value(),
            now,
            history: &history,
        };
        let input = layer.input();
        match self.policy.decide(&input) {
            PolicyDecision::Deny { policies, .. } => self.policy.scopes_needed(&input, &policies),
            PolicyDecision::Allow { .. } | PolicyDecision::NeedsApproval { .. } => None,
        }
    }
}
