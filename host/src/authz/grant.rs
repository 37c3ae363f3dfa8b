//! What authorization returns: a typed [`Grant`] for a call that may run
//! (or that a human must approve first), or a [`Denied`] naming the
//! refusing layer — both with everything learnt on the way ([`Known`]), so
//! that a refusal is recorded as fully attributed as an allowed call.

use std::sync::Arc;

use crate::audit::event::Attribution;
use crate::authz::{Arguments, Refusal, TaskToken};
use crate::config::Agent;
use crate::manifest::ManifestTool;
use crate::registry::RegisteredPlugin;
use crate::vocab::{Impact, cap};

/// What is known about a call so far.
#[derive(Debug, Clone, Default)]
pub struct Known<'r> {
    /// The task token's claims, once its signature verified (also when it
    /// was then refused as expired or revoked).
    pub token: Option<TaskToken>,
    /// The agent the token names, when it is configured.
    pub agent: Option<&'r Agent>,
    /// The plugin and tool, once the tool resolved.
    pub plugin: Option<(&'r RegisteredPlugin, &'r ManifestTool)>,
    /// What a token that did not verify claimed (never believed).
    pub claimed: Option<crate::audit::event::Claimed>,
}

impl Known<'_> {
    /// The attribution of these facts, for the audit chain; `tool` is the
    /// name as asked for.
    pub fn attribution(&self, tool: &str) -> Attribution {
        let mut a = Attribution {
            tool: Some(cap(tool)),
            ..Attribution::default()
        };
        if let Some(t) = &self.token {
            a.token_id = Some(t.id.clone());
            a.agent = Some(t.agent.clone());
            a.task = Some(t.task.clone());
            a.credential.clone_from(&t.via);
        } else {
            a.claimed.clone_from(&self.claimed);
        }
        if let Some(ag) = self.agent {
            a.agent_owner = Some(ag.owner.clone());
            a.model = Some(ag.model.clone());
            a.model_owner = Some(ag.model_owner.clone());
        }
        if let Some((p, t)) = self.plugin {
            let m = p.manifest.manifest();
            a.plugin = Some(m.plugin.id.clone());
            a.plugin_version = Some(m.plugin.version.clone());
            a.component_digest = Some(p.manifest.component_digest());
            a.manifest_digest = Some(p.manifest.manifest_digest().to_owned());
            a.signer = p.manifest.signer().map(str::to_owned);
            a.action_owner = Some(
                p.action_owners
                    .get(&t.name)
                    .cloned()
                    .unwrap_or_else(|| t.action_owner.clone()),
            );
            a.impact = Some(t.impact);
        }
        a
    }
}

/// A refusal, with what was known when it was made.
#[derive(Debug)]
pub struct Denied<'r> {
    /// Why.
    pub refusal: Refusal,
    /// What was known.
    pub known: Known<'r>,
    /// The arguments, when the refusal came after they were read (the
    /// policy layer): what the audit record may keep for replay.
    pub args: Option<Arc<Arguments>>,
    /// The shadow policies' decision, when it differs from the live one.
    pub shadow: Option<Box<crate::authz::ShadowDecision>>,
}

/// Approval a call needs before it may run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalNeed {
    /// The policies that hold the call until approved.
    pub policies: Vec<String>,
    /// Who may approve it.
    pub approvers: Vec<String>,
    /// How many distinct approvers it needs.
    pub required: u32,
    /// Why, in words.
    pub why: String,
}

/// A call that authorization allows (perhaps only with a human's approval).
#[derive(Debug)]
pub struct Grant<'r> {
    /// The token.
    pub token: TaskToken,
    /// The agent.
    pub agent: &'r Agent,
    /// The plugin.
    pub plugin: &'r RegisteredPlugin,
    /// The tool's signed definition.
    pub tool: &'r ManifestTool,
    /// `plugin.tool`.
    pub qualified: String,
    /// The arguments, read once where the call arrived: what policy saw
    /// (their value), what an approval is bound to and the audit record
    /// keeps (their digest), and what the plugin receives (their canonical
    /// JSON).
    pub input: Arc<Arguments>,
    /// The policies that permitted it.
    pub policies: Vec<String>,
    /// When a human must approve it first.
    pub approval: Option<ApprovalNeed>,
    /// The shadow policies' decision, when it differs from the live one.
    pub shadow: Option<Box<crate::authz::ShadowDecision>>,
}

impl<'r> Grant<'r> {
    /// The tool's impact level.
    pub fn impact(&self) -> Impact {
        self.tool.impact
    }

    /// The call as budgets count it, now.
    pub(crate) fn spend(&self) -> crate::authz::budget::Spend<'_> {
        crate::authz::budget::Spend {
            agent: &self.agent.id,
            tool: &self.qualified,
            task: &self.token.task,
            high: self.impact() == Impact::High,
            now_ms: crate::state::now_ms(),
        }
    }

    /// Everything known about the call.
    pub fn known(&self) -> Known<'r> {
        Known {
            token: Some(self.token.clone()),
            agent: Some(self.agent),
            plugin: Some((self.plugin, self.tool)),
            claimed: None,
        }
    }
}
