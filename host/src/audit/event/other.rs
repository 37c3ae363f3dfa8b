//! Approvals, tokens, operator actions, plugins, config and the chain
//! itself.

use serde::{Deserialize, Serialize};

use super::Attribution;
use crate::keys::SignedAction;

/// `approval.requested`: a held call waits for a human. The request is
/// bound to the exact call: agent, task, tool, the digest of its arguments,
/// and the plugin version, component and signed tool definition it would
/// run under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRequested {
    /// The request's id.
    pub approval_id: String,
    /// The held call.
    #[serde(flatten)]
    pub who: Attribution,
    /// SHA-256 of the canonical arguments.
    pub args_digest: String,
    /// SHA-256 of the signed tool definition (name, description, impact,
    /// action owner, input schema) the approval is bound to.
    pub tool_digest: String,
    /// Who may approve.
    pub approvers: Vec<String>,
    /// Why approval is needed.
    pub why: String,
    /// The policies that held it (from format 6).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
    /// What the agent said it was doing (capped; never trusted; from
    /// format 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// More context the agent gave, as JSON text (capped; from format 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

/// `approval.approved` / `approval.denied`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalDecided {
    /// The request's id.
    pub approval_id: String,
    /// The calling agent.
    pub agent: String,
    /// The task.
    pub task: String,
    /// `plugin.tool`.
    pub tool: String,
    /// The digest of the arguments that were approved.
    pub args_digest: String,
    /// The plugin version the approval is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin_version: Option<String>,
    /// The component digest the approval is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_digest: Option<String>,
    /// The tool definition digest the approval is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_digest: Option<String>,
    /// Who decided.
    pub by: String,
    /// Their reason.
    pub reason: String,
    /// Distinct approvals the call has now (this one included).
    #[serde(default)]
    pub approvals: u32,
    /// Distinct approvals it needs.
    #[serde(default)]
    pub required: u32,
    /// The operator's signed decision (from format 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<SignedAction>,
    /// The release of the rules in force when it was decided (from
    /// format 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<crate::governance::ReleaseRef>,
}

/// `token.issued`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenIssued {
    /// The token's id.
    pub token_id: String,
    /// The agent.
    pub agent: String,
    /// Who owns it.
    pub agent_owner: Option<String>,
    /// Its model.
    pub model: Option<String>,
    /// Who owns the model.
    pub model_owner: Option<String>,
    /// The task.
    pub task: String,
    /// The tools it may call.
    pub tools: Vec<String>,
    /// When it expires, RFC 3339.
    pub expires: Option<String>,
    /// Who issued it.
    pub by: String,
    /// The operator's signed request (from format 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<SignedAction>,
    /// The release of the rules in force when it was decided (from
    /// format 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<crate::governance::ReleaseRef>,
}

/// A stop button or its release: `host.halted`, `host.resumed`,
/// `agent.quarantined`, `agent.released`, `plugin.disabled`,
/// `plugin.enabled`, `token.revoked`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorAction {
    /// The agent acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The plugin acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// The token acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    /// Who acted.
    pub by: String,
    /// Their reason.
    pub reason: String,
    /// Whether anything changed (false: it was so already).
    pub changed: bool,
    /// The operator's signed action (from format 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<SignedAction>,
    /// The release of the rules in force when it was decided (from
    /// format 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<crate::governance::ReleaseRef>,
}

/// `plugin.loaded`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginLoaded {
    /// Plugin id.
    pub plugin: String,
    /// Version.
    pub plugin_version: String,
    /// `sha256:` of the component.
    pub component_digest: String,
    /// `sha256:` of the signed manifest.
    pub manifest_digest: String,
    /// The signing key's id (none for an unsigned development manifest).
    pub signer: Option<String>,
    /// The tools it offers.
    pub tools: Vec<String>,
    /// Loaded with `--insecure` (development only).
    pub insecure: bool,
}

/// `plugin.refused`: a plugin was not loaded, or was unloaded at a reload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginRefused {
    /// The manifest file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// Plugin id, when the manifest could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// Version, when the manifest could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin_version: Option<String>,
    /// `sha256:` of the component, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_digest: Option<String>,
    /// `sha256:` of the manifest, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    /// The key the manifest names as its signer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// The check that refused it (`signature`, `digest`, `rollback`,
    /// `ceiling`, `imports`, `tools`, …).
    pub check: String,
    /// Why, in words.
    pub reason: String,
}

/// `plugin.version-reset`: an operator lowered a plugin's version
/// high-water mark (after a mistaken release).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionReset {
    /// Plugin id.
    pub plugin: String,
    /// The high-water mark before.
    pub from: Option<String>,
    /// Who reset it.
    pub by: String,
    /// Their reason.
    pub reason: String,
    /// The operator's signed action (from format 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<SignedAction>,
    /// The release of the rules in force when it was decided (from
    /// format 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<crate::governance::ReleaseRef>,
}

/// `config.reloaded`: the host re-read its config and trust, re-verified
/// its plugins, and unloaded what no longer verifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigReloaded {
    /// What triggered it: `signal`, `operator`, `file-change`.
    pub trigger: String,
    /// Who asked for it, for an operator request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Plugins loaded after the reload.
    pub loaded: Vec<String>,
    /// Plugins that were loaded before and are not now.
    pub unloaded: Vec<String>,
    /// Calls in flight cancelled because their plugin was unloaded.
    pub cancelled_calls: u64,
    /// Whether the new config was used (false: it was refused and the old
    /// one kept, see `error`).
    pub applied: bool,
    /// Why the new config was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `audit.recovered`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecovered {
    /// Bytes cut from the end of the log.
    pub discarded_bytes: u64,
    /// Why.
    pub reason: String,
}

/// `console.session-opened` and `console.session-closed` (from format 6):
/// an operator logged in to the console, or their session ended. The
/// actions taken in it carry their own proof (their delegation); these
/// records say when the session began and ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSession {
    /// The operator.
    pub operator: String,
    /// The session key's id.
    pub session: String,
    /// How they logged in: `link` or `oidc`.
    pub method: String,
    /// For an OpenID login: the issuer and subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// When the session ends at the latest (RFC 3339).
    pub not_after: String,
    /// Why it ended (`console.session-closed`): logged out, expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    /// The release of the rules in force when it was decided (from
    /// format 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<crate::governance::ReleaseRef>,
}
