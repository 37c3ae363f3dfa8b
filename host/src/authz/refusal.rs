//! Every way a call can be refused before it runs, typed, naming the layer.

/// Why a call was refused. `layer()` names the layer that refused it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No token, or not a valid one.
    #[error("task token refused: {0}")]
    Token(String),
    /// A budget (`[[budgets]]`) is used up.
    #[error("budget {budget} is used up: {why}")]
    Budget {
        /// The budget's name.
        budget: String,
        /// What is used up, with the numbers.
        why: String,
    },
    /// The token's time window does not include now.
    #[error("task token {token_id} refused: {why}")]
    TokenTime {
        /// Token id.
        token_id: String,
        /// Expired or not yet valid, with the time.
        why: String,
    },
    /// The token is bound to a key the request did not prove, or its
    /// proof (DPoP) was refused, or the agent requires a bound token.
    #[error("task token {token_id} refused: {why}")]
    Sender {
        /// Token id.
        token_id: String,
        /// Which check, in words.
        why: String,
    },
    /// The token was revoked.
    #[error("task token {token_id} was revoked by {by} ({reason})")]
    Revoked {
        /// Token id.
        token_id: String,
        /// Who revoked it.
        by: String,
        /// Why.
        reason: String,
    },
    /// The tool is outside the token's scope.
    #[error("tool {tool} is outside the scope of task token {token_id} (it allows: {allowed})")]
    Scope {
        /// Token id.
        token_id: String,
        /// The tool asked for.
        tool: String,
        /// What the token allows.
        allowed: String,
    },
    /// The agent's grant in the host config does not include the tool (or
    /// the agent is not configured).
    #[error("agent {agent} is not granted {tool} in the host config")]
    AgentGrant {
        /// Agent id.
        agent: String,
        /// Tool.
        tool: String,
    },
    /// The agent is quarantined.
    #[error("agent {agent} is quarantined by {by} ({reason}); an operator must release it")]
    Quarantined {
        /// Agent id.
        agent: String,
        /// Who quarantined it.
        by: String,
        /// Why.
        reason: String,
    },
    /// The host is halted.
    #[error(
        "the host is halted by {by} ({reason}); every call is refused until an operator resumes it"
    )]
    Halted {
        /// Who halted it.
        by: String,
        /// Why.
        reason: String,
    },
    /// The plugin is disabled.
    #[error("plugin {plugin} is disabled by {by} ({reason})")]
    PluginDisabled {
        /// Plugin id.
        plugin: String,
        /// Who disabled it.
        by: String,
        /// Why.
        reason: String,
    },
    /// The shared state is out of reach: the host runs on the last stop
    /// state it read, and refuses what is of high impact.
    #[error("high-impact calls are refused while {why}")]
    Degraded {
        /// Since when and why the shared state is out of reach.
        why: String,
    },
    /// No loaded plugin offers the tool.
    #[error("no loaded plugin offers tool {0}")]
    UnknownTool(String),
    /// The input is not a JSON object the host can read (before any tool
    /// sees it).
    #[error("input refused: {0}")]
    Input(String),
    /// A rate limit.
    #[error("rate limit: {0}")]
    Rate(String),
    /// A cap on calls in flight (`max-concurrent`), on this host or
    /// across the fleet.
    #[error("concurrency cap: {0}")]
    Concurrency(String),
    /// Policy denied the call.
    #[error("denied by policy{}: {reason}", fmt_ids(policies))]
    Policy {
        /// Deciding policy ids.
        policies: Vec<String>,
        /// In words.
        reason: String,
        /// The step-up scopes the token lacks, when they are what stands
        /// in the call's way (policies annotated `@scope`); else empty.
        scopes: Vec<String>,
    },
    /// A human denied the approval request.
    #[error("approval {approval_id} was denied by {by}{}", reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default())]
    ApprovalDenied {
        /// Approval id.
        approval_id: String,
        /// Approver.
        by: String,
        /// Their reason.
        reason: Option<String>,
    },
    /// The approval request expired before anyone decided.
    #[error("approval {approval_id} expired before anyone decided; the call did not run")]
    ApprovalExpired {
        /// Approval id.
        approval_id: String,
    },
    /// The call is held for approval; retry the same call after a human
    /// approves it.
    #[error(
        "pending approval {approval_id}: this call needs approval by one of {approvers} ({why}); retry the same call once approved"
    )]
    PendingApproval {
        /// Approval id.
        approval_id: String,
        /// Who may approve.
        approvers: String,
        /// Why approval is needed.
        why: String,
    },
    /// Something on the host side failed (state database, audit log).
    #[error("refused, failing closed: {0}")]
    Host(String),
}

fn fmt_ids(ids: &[String]) -> String {
    if ids.is_empty() {
        String::new()
    } else {
        format!(" {}", ids.join(", "))
    }
}

impl Refusal {
    /// The layer that refused: `token`, `revoked`, `scope`, `agent-grant`,
    /// `quarantine`, `halt`, `plugin-disabled`, `degraded`, `unknown-tool`, `rate`,
    /// `input`, `budget`, `policy`, `approval`, `host`.
    pub fn layer(&self) -> &'static str {
        match self {
            Self::Token(_) | Self::TokenTime { .. } | Self::Sender { .. } => "token",
            Self::Revoked { .. } => "revoked",
            Self::Scope { .. } => "scope",
            Self::AgentGrant { .. } => "agent-grant",
            Self::Quarantined { .. } => "quarantine",
            Self::Halted { .. } => "halt",
            Self::PluginDisabled { .. } => "plugin-disabled",
            Self::Degraded { .. } => "degraded",
            Self::UnknownTool(_) => "unknown-tool",
            Self::Input(_) => "input",
            Self::Rate(_) => "rate",
            Self::Concurrency(_) => "concurrency",
            Self::Budget { .. } => "budget",
            Self::Policy { .. } => "policy",
            Self::ApprovalDenied { .. }
            | Self::ApprovalExpired { .. }
            | Self::PendingApproval { .. } => "approval",
            Self::Host(_) => "host",
        }
    }

    /// The policy ids that decided, if policy refused.
    pub fn policies(&self) -> &[String] {
        match self {
            Self::Policy { policies, .. } => policies,
            _ => &[],
        }
    }
}
