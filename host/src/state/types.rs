//! The values the shared state holds.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::vocab::Version;

/// Who pressed a stop button, when and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped {
    /// The operator.
    pub by: String,
    /// Their reason.
    pub reason: String,
    /// When, in milliseconds since the epoch.
    pub at: i64,
}

/// Everything currently stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StopState {
    /// The host is halted: every call is refused.
    pub halted: Option<Stopped>,
    /// Quarantined agents.
    pub agents: BTreeMap<String, Stopped>,
    /// Disabled plugins.
    pub plugins: BTreeMap<String, Stopped>,
    /// Revoked task tokens, by token id.
    pub tokens: BTreeMap<String, Stopped>,
    /// Token keys rotated out, by key id: tokens they signed before then
    /// still verify until they expire.
    pub retired_keys: BTreeMap<String, Stopped>,
    /// Token keys revoked, by key id: nothing they signed verifies.
    pub revoked_keys: BTreeMap<String, Stopped>,
}

/// What a stop button acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopTarget {
    /// The whole host.
    Halt,
    /// One agent.
    Agent(String),
    /// One plugin.
    Plugin(String),
    /// A host's token key, rotated out (by key id).
    RetireKey(String),
    /// A host's token key, revoked (by key id).
    RevokeKey(String),
}

impl StopTarget {
    /// (kind, target) as stored.
    pub(crate) fn columns(&self) -> (&'static str, &str) {
        match self {
            Self::Halt => ("halt", ""),
            Self::Agent(a) => ("agent", a),
            Self::Plugin(p) => ("plugin", p),
            Self::RetireKey(k) => ("key-retired", k),
            Self::RevokeKey(k) => ("key-revoked", k),
        }
    }
}

/// A plugin version loaded before, with what it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionMark {
    /// The version.
    pub version: Version,
    /// `sha256:` of the signed manifest.
    pub manifest_digest: String,
    /// `sha256:` of the component.
    pub component_digest: String,
}

/// Where an approval request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalStatus {
    /// Waiting for a decision.
    Pending,
    /// Approved and not yet used.
    Approved,
    /// Denied.
    Denied,
    /// Approved and used by the call it was for.
    Used,
}

impl ApprovalStatus {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Used => "used",
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "approved" => Self::Approved,
            "denied" => Self::Denied,
            "used" => Self::Used,
            _ => Self::Pending,
        }
    }
}

/// What an approval is bound to: the exact call, and the exact plugin it
/// would run under. An approval given for one binding is never used for
/// another — not for other arguments, and not after the plugin changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalBinding {
    /// The calling agent.
    pub agent: String,
    /// The task.
    pub task: String,
    /// `plugin.tool`.
    pub tool: String,
    /// SHA-256 of the call's canonical arguments.
    pub args_digest: String,
    /// The plugin's version.
    pub plugin_version: String,
    /// `sha256:` of the component.
    pub component_digest: String,
    /// SHA-256 of the signed tool definition.
    pub tool_digest: String,
}

impl ApprovalBinding {
    /// SHA-256 (hex) of the canonical JSON of everything the approval is
    /// bound to: what an approver signs.
    pub fn digest(&self) -> String {
        let v = serde_json::json!({
            "agent": self.agent, "task": self.task, "tool": self.tool,
            "args_digest": self.args_digest, "plugin_version": self.plugin_version,
            "component_digest": self.component_digest, "tool_digest": self.tool_digest,
        });
        crate::keys::sha256_hex(&crate::vocab::to_canonical(&v))
    }
}

/// A request to be stored.
#[derive(Debug, Clone)]
pub struct NewApproval {
    /// What it is bound to.
    pub binding: ApprovalBinding,
    /// Distinct approvers it needs.
    pub required: u32,
    /// Who issued the token the held call runs under.
    pub token_issuer: String,
    /// The task token's id.
    pub token_id: String,
    /// The tool's impact level.
    pub impact: String,
    /// Why approval is needed (policy ids, impact).
    pub why: String,
    /// A short view of the arguments for the approver.
    pub summary: String,
    /// Expiry, milliseconds since the epoch.
    pub expires_at: i64,
}

/// A stored approval request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// Its id.
    pub id: String,
    /// What it is bound to.
    pub binding: ApprovalBinding,
    /// The task token's id.
    pub token_id: String,
    /// The tool's impact level.
    pub impact: String,
    /// Why approval was needed.
    pub why: String,
    /// A view of the arguments.
    pub summary: String,
    /// Status.
    pub status: ApprovalStatus,
    /// Requested, ms since the epoch.
    pub requested_at: i64,
    /// Expires, ms since the epoch.
    pub expires_at: i64,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<i64>,
    /// Their reason.
    pub decision_reason: Option<String>,
    /// When the approved call ran.
    pub used_at: Option<i64>,
    /// Distinct approvers it needs.
    pub required: u32,
    /// Who has approved so far.
    pub votes: Vec<String>,
    /// Who issued the token the held call runs under.
    pub token_issuer: String,
}

/// What a decision on an approval request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decided {
    /// Recorded; the request as it now stands (approved once enough
    /// distinct approvers approved; denied at the first denial).
    Recorded(Box<Approval>),
    /// This operator approved it already.
    AlreadyVoted,
    /// Nothing to decide: unknown, decided already, or expired.
    NotPending,
}

impl Approval {
    /// Whether it has expired (a used or denied request is final anyway).
    pub fn expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }

    /// The status as shown to people, with expiry taken into account.
    pub fn shown_status(&self, now: i64) -> &'static str {
        match self.status {
            ApprovalStatus::Pending | ApprovalStatus::Approved if self.expired(now) => "expired",
            s => s.as_str(),
        }
    }
}

/// One rate limit to apply to a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateRule {
    /// Counter key, e.g. `agent:triage-bot`.
    pub key: String,
    /// Calls allowed per period.
    pub calls: u32,
    /// The period.
    pub per: Duration,
    /// The limit as configured, for messages.
    pub text: String,
}

/// A rate limit that was full: `agent triage-bot is limited to 120/min`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} is limited to {limit}", key.replacen(':', " ", 1))]
pub struct LimitHit {
    /// The counter key (`agent:triage-bot`, `tool:case-note.append`).
    pub key: String,
    /// The limit as configured.
    pub limit: String,
}

/// A call that runs, for task history and budgets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallUse {
    /// The task.
    pub task: String,
    /// The agent.
    pub agent: String,
    /// `plugin.tool`.
    pub tool: String,
    /// Whether the tool is high impact.
    pub high: bool,
    /// When it started, ms since the epoch.
    pub at: i64,
}

/// What already happened in a task, as policy sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskHistory {
    /// Tools called in the task (that ran).
    pub tools: std::collections::BTreeSet<String>,
    /// Tools whose call in the task succeeded.
    pub succeeded: std::collections::BTreeSet<String>,
    /// Calls that ran.
    pub calls: u64,
    /// High-impact calls that ran.
    pub high_impact_calls: u64,
}

/// What a budget counts calls of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsageScope {
    /// One task.
    Task(String),
    /// One agent.
    Agent(String),
    /// One tool.
    Tool(String),
}

/// Calls counted against a budget.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Calls that ran (or are running).
    pub calls: u64,
    /// High-impact ones among them.
    pub high_impact_calls: u64,
    /// Bytes of output they returned.
    pub output: u64,
}

/// A budget a call is counted against: checked in the same transaction
/// that counts the call, so that concurrent calls — in one process or many,
/// on one host or a fleet — can never take more than the budget holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseLimit {
    /// What it counts.
    pub scope: UsageScope,
    /// Calls since then count (ms since the epoch; 0: all).
    pub since_ms: i64,
    /// Calls at most.
    pub calls: Option<u64>,
    /// High-impact calls at most.
    pub high_impact_calls: Option<u64>,
    /// Bytes of output at most.
    pub output: Option<u64>,
}

impl UseLimit {
    /// Whether a call (high impact or not) would go over this limit, given
    /// what was used: the one rule every backend applies.
    pub fn reached(&self, used: &Usage, high: bool) -> bool {
        self.calls.is_some_and(|m| used.calls >= m)
            || (high
                && self
                    .high_impact_calls
                    .is_some_and(|m| used.high_impact_calls >= m))
            || self.output.is_some_and(|m| used.output >= m)
    }

    /// The key concurrent takers of this limit serialise on.
    pub fn lock_key(&self) -> String {
        match &self.scope {
            UsageScope::Task(t) => format!("task:{t}"),
            UsageScope::Agent(a) => format!("agent:{a}"),
            UsageScope::Tool(t) => format!("tool:{t}"),
        }
    }
}

/// A limit a call would go over: which one (its index in the list) and
/// what was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UseHit {
    /// The limit's index.
    pub index: usize,
    /// What was used when the call was refused.
    pub used: Usage,
}

/// A release of the rules as the shared state keeps it: its version and
/// digest, its canonical document, and the governors' signatures (JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRelease {
    /// Its version.
    pub version: u64,
    /// `sha256:` of `doc`.
    pub digest: String,
    /// The canonical JSON document.
    pub doc: Vec<u8>,
    /// The signatures it took effect with, as a JSON array.
    pub signatures: String,
    /// When it took effect, ms since the epoch.
    pub applied_ms: i64,
}

/// A proposed release and the signatures gathered for it so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// `sha256:` of `doc`.
    pub digest: String,
    /// The canonical JSON document.
    pub doc: Vec<u8>,
    /// Each signature, as JSON.
    pub signatures: Vec<String>,
}
