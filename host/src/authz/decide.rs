//! The policy layer of [`Authz::authorize`]: the Cedar decision on the
//! actual arguments (allow, deny, or allow only with a named human's
//! approval, with enough configured approvers), and — when `[policy]
//! shadow` names candidate policies — their decision beside it, which never
//! decides anything but is kept when it differs.

use chrono::{DateTime, Utc};

use crate::authz::{ApprovalNeed, Authz, PolicyDecision, PolicyInput, Refusal, TaskToken};
use crate::config::Agent;
use crate::manifest::ManifestTool;
use crate::registry::RegisteredPlugin;

/// The live and the shadow decision on one call, when they differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShadowDecision {
    /// What the live policies decided.
    pub live: PolicyDecision,
    /// What the shadow policies would have decided.
    pub shadow: PolicyDecision,
}

/// One call as the policy layer sees it.
pub(crate) struct PolicyLayer<'a> {
    pub(crate) agent: &'a Agent,
    pub(crate) plugin: &'a RegisteredPlugin,
    pub(crate) tool: &'a ManifestTool,
    pub(crate) qualified: &'a str,
    pub(crate) token: &'a TaskToken,
    pub(crate) args: &'a serde_json::Value,
    pub(crate) now: DateTime<Utc>,
    pub(crate) history: &'a crate::state::TaskHistory,
}

impl PolicyLayer<'_> {
    /// The policy input of the call.
    pub(crate) fn input(&self) -> PolicyInput<'_> {
        let action_owner = self
            .plugin
            .action_owners
            .get(&self.tool.name)
            .map_or(self.tool.action_owner.as_str(), String::as_str);
        PolicyInput {
            agent: &self.agent.id,
            plugin: self.plugin.id(),
            tool: self.qualified,
            task: &self.token.task,
            impact: self.tool.impact.as_str(),
            action_owner,
            token_id: &self.token.id,
            scopes: &self.token.tools,
            args: self.args,
            now: self.now,
            history: self.history,
        }
    }
}

type Allowed = (
    Vec<String>,
    Option<ApprovalNeed>,
    Option<Box<ShadowDecision>>,
);

fn same_kind(a: &PolicyDecision, b: &PolicyDecision) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

impl Authz {
    /// Decide the policy layer of one call.
    pub(crate) fn policy_layer(
        &self,
        c: PolicyLayer<'_>,
    ) -> Result<Allowed, (Refusal, Option<Box<ShadowDecision>>)> {
        let input = c.input();
        let decision = self.policy.decide(&input);
        let shadow = self.shadow.as_ref().and_then(|s| {
            let other = s.decide(&input);
            (!same_kind(&decision, &other)).then(|| {
                Box::new(ShadowDecision {
                    live: decision.clone(),
                    shadow: other,
                })
            })
        });
        match decision {
            PolicyDecision::Allow { policies } => Ok((policies, None, shadow)),
            PolicyDecision::Deny { policies, reason } => {
                let scopes = self
                    .policy
                    .scopes_needed(&input, &policies)
                    .unwrap_or_default();
                let reason = if scopes.is_empty() {
                    reason
                } else {
                    format!(
                        "{reason}: the token lacks the step-up scope {} — a token carrying it makes this call",
                        scopes.join(" ")
                    )
                };
                Err((
                    Refusal::Policy {
                        policies,
                        reason,
                        scopes,
                    },
                    shadow,
                ))
            }
            PolicyDecision::NeedsApproval { policies } => {
                let (agent, tool, token) = (c.agent, c.tool, c.token);
                let mut approvers = self.config.approvers(c.qualified, tool.impact);
                approvers.retain(|a| *a != agent.id);
                if self.config.approvals.four_eyes
                    && let Some(by) = &token.by
                {
                    approvers.retain(|a| a != by);
                }
                let required = self.config.approvals.required(c.qualified, tool.impact);
                let why = format!(
                    "policy {} holds {}-impact calls until {}",
                    policies.join(", "),
                    tool.impact,
                    if required > 1 {
                        format!("{required} distinct named humans approve")
                    } else {
                        "a named human approves".into()
                    }
                );
                if approvers.len() < required as usize {
                    return Err((
                        Refusal::Policy {
                            policies,
                            reason: format!(
                                "{why}, and the host config names {} operator(s) who may approve {} for this call (set `approves` on [[operators]] in the host config)",
                                approvers.len(),
                                c.qualified
                            ),
                            scopes: Vec::new(),
                        },
                        shadow,
                    ));
                }
                let need = ApprovalNeed {
                    policies: policies.clone(),
                    approvers,
                    required,
                    why,
                };
                Ok((policies, Some(need), shadow))
            }
        }
    }
}
