//! The typed events of the audit chain: one type per record kind.
//!
//! Writers build these; `audit show`, `audit verify`, the OCSF export and
//! the API read them back. The serialised form is a versioned contract
//! ([`FORMAT_VERSION`], described in `host/docs/audit-format.md` and pinned
//! by golden tests): a field may be added only with a version bump.
//!
//! Every field an event knows is written; a field that is not known at that
//! point (no plugin resolved yet, no token decoded) is left out, never
//! written as a guess.

mod attribution;
mod call;
mod data;
mod exchange;
mod other;
mod rules;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::keys::{ActionKind, SignedAction};

pub use attribution::{Attribution, Claimed, TraceRef};
pub use call::{
    ApprovalRef, CallCompleted, CallDecided, CallEnded, CallInterrupted, CallRecord, DecidedAhead,
    Decision, DecisionResult, PolicyShadow, PolicySide,
};
pub use data::Data;
pub use exchange::{CredentialRef, ExchangeRefused, TokenExchanged};
pub use other::{
    ApprovalDecided, ApprovalRequested, AuditRecovered, ConfigReloaded, ConsoleSession,
    OperatorAction, PluginLoaded, PluginRefused, TokenIssued, VersionReset,
};
pub use rules::{ConfigApplied, ConfigRefused};

/// The version of the record format this host writes (the `v` field of
/// every record).
pub const FORMAT_VERSION: u32 = 9;

/// Whether records of `kind` hold a call's decision: `call` (format 9),
/// `call.decided` (formats up to 8).
pub fn is_decision_kind(kind: &str) -> bool {
    matches!(kind, "call" | "call.decided")
}

/// Whether records of `kind` end a call: `call` (format 9),
/// `call.completed` (formats up to 8), `call.interrupted`.
pub fn is_end_kind(kind: &str) -> bool {
    matches!(kind, "call" | "call.completed" | "call.interrupted")
}

/// One thing the host decided or did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data")]
pub enum Event {
    /// A call: its decision and its outcome (from format 9).
    #[serde(rename = "call")]
    Call(Box<CallRecord>),
    /// A call was decided: allowed, held for approval, or refused
    /// (formats up to 8).
    #[serde(rename = "call.decided")]
    CallDecided(Box<CallDecided>),
    /// A call that was decided has ended: its outcome (formats up to 8).
    #[serde(rename = "call.completed")]
    CallCompleted(Box<CallCompleted>),
    /// A decided call's process ended before its outcome was recorded.
    #[serde(rename = "call.interrupted")]
    CallInterrupted(Box<CallInterrupted>),
    /// The shadow policies would have decided a call otherwise.
    #[serde(rename = "policy.shadow")]
    PolicyShadow(Box<PolicyShadow>),
    /// A held call asked for a human's approval.
    #[serde(rename = "approval.requested")]
    ApprovalRequested(Box<ApprovalRequested>),
    /// A human approved a held call.
    #[serde(rename = "approval.approved")]
    ApprovalApproved(ApprovalDecided),
    /// A human denied a held call.
    #[serde(rename = "approval.denied")]
    ApprovalDenied(ApprovalDecided),
    /// A task token was issued.
    #[serde(rename = "token.issued")]
    TokenIssued(TokenIssued),
    /// A workload credential was exchanged for a task token.
    #[serde(rename = "token.exchanged")]
    TokenExchanged(Box<TokenExchanged>),
    /// A credential was not exchanged.
    #[serde(rename = "token.exchange-refused")]
    ExchangeRefused(Box<ExchangeRefused>),
    /// A task token was revoked.
    #[serde(rename = "token.revoked")]
    TokenRevoked(OperatorAction),
    /// An agent was quarantined.
    #[serde(rename = "agent.quarantined")]
    AgentQuarantined(OperatorAction),
    /// A quarantined agent was released.
    #[serde(rename = "agent.released")]
    AgentReleased(OperatorAction),
    /// The host was halted.
    #[serde(rename = "host.halted")]
    HostHalted(OperatorAction),
    /// The host was resumed after a halt.
    #[serde(rename = "host.resumed")]
    HostResumed(OperatorAction),
    /// A plugin was disabled.
    #[serde(rename = "plugin.disabled")]
    PluginDisabled(OperatorAction),
    /// A disabled plugin was enabled again.
    #[serde(rename = "plugin.enabled")]
    PluginEnabled(OperatorAction),
    /// A plugin was verified and loaded.
    #[serde(rename = "plugin.loaded")]
    PluginLoaded(Box<PluginLoaded>),
    /// A plugin was refused at load (or unloaded at a reload).
    #[serde(rename = "plugin.refused")]
    PluginRefused(Box<PluginRefused>),
    /// An operator reset a plugin's version high-water mark.
    #[serde(rename = "plugin.version-reset")]
    VersionReset(VersionReset),
    /// An operator asked every host to reload its config and trust.
    #[serde(rename = "config.reload-requested")]
    ReloadRequested(OperatorAction),
    /// The host reloaded its config and trust.
    #[serde(rename = "config.reloaded")]
    ConfigReloaded(ConfigReloaded),
    /// A release of the rules took effect.
    #[serde(rename = "config.applied")]
    ConfigApplied(Box<ConfigApplied>),
    /// A release of the rules was refused.
    #[serde(rename = "config.refused")]
    ConfigRefused(Box<ConfigRefused>),
    /// The writer cut a torn final line left by a crash.
    #[serde(rename = "audit.recovered")]
    AuditRecovered(AuditRecovered),
    /// An operator logged in to the console.
    #[serde(rename = "console.session-opened")]
    SessionOpened(ConsoleSession),
    /// A console session ended.
    #[serde(rename = "console.session-closed")]
    SessionClosed(ConsoleSession),
}

impl Event {
    /// Every record kind this format version defines.
    pub const KINDS: &'static [&'static str] = &[
        "call",
        "call.decided",
        "call.completed",
        "call.interrupted",
        "policy.shadow",
        "approval.requested",
        "approval.approved",
        "approval.denied",
        "token.issued",
        "token.exchanged",
        "token.exchange-refused",
        "token.revoked",
        "agent.quarantined",
        "agent.released",
        "host.halted",
        "host.resumed",
        "plugin.disabled",
        "plugin.enabled",
        "plugin.loaded",
        "plugin.refused",
        "plugin.version-reset",
        "config.reload-requested",
        "config.reloaded",
        "config.applied",
        "config.refused",
        "audit.recovered",
        "console.session-opened",
        "console.session-closed",
    ];

    /// The record kind, e.g. `call.decided`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Call(_) => "call",
            Self::CallDecided(_) => "call.decided",
            Self::CallCompleted(_) => "call.completed",
            Self::CallInterrupted(_) => "call.interrupted",
            Self::PolicyShadow(_) => "policy.shadow",
            Self::ApprovalRequested(_) => "approval.requested",
            Self::ApprovalApproved(_) => "approval.approved",
            Self::ApprovalDenied(_) => "approval.denied",
            Self::TokenIssued(_) => "token.issued",
            Self::TokenExchanged(_) => "token.exchanged",
            Self::ExchangeRefused(_) => "token.exchange-refused",
            Self::TokenRevoked(_) => "token.revoked",
            Self::AgentQuarantined(_) => "agent.quarantined",
            Self::AgentReleased(_) => "agent.released",
            Self::HostHalted(_) => "host.halted",
            Self::HostResumed(_) => "host.resumed",
            Self::PluginDisabled(_) => "plugin.disabled",
            Self::PluginEnabled(_) => "plugin.enabled",
            Self::PluginLoaded(_) => "plugin.loaded",
            Self::PluginRefused(_) => "plugin.refused",
            Self::VersionReset(_) => "plugin.version-reset",
            Self::ReloadRequested(_) => "config.reload-requested",
            Self::ConfigReloaded(_) => "config.reloaded",
            Self::ConfigApplied(_) => "config.applied",
            Self::ConfigRefused(_) => "config.refused",
            Self::AuditRecovered(_) => "audit.recovered",
            Self::SessionOpened(_) => "console.session-opened",
            Self::SessionClosed(_) => "console.session-closed",
        }
    }

    /// The event's data as the JSON value that is hashed and stored.
    pub fn data(&self) -> Value {
        // Every event is plain data (strings, numbers, lists, maps with
        // string keys): serialising it cannot fail.
        match serde_json::to_value(self) {
            Ok(Value::Object(mut m)) => m.remove("data").unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }

    /// Read an event back from a record's kind and data.
    ///
    /// # Errors
    ///
    /// The serde error when the kind is unknown or the data do not fit it.
    pub fn from_parts(kind: &str, data: &Value) -> Result<Self, serde_json::Error> {
        serde_json::from_value(serde_json::json!({"kind": kind, "data": data}))
    }

    /// The attribution of a call, an approval request or a decision.
    pub fn attribution(&self) -> Option<&Attribution> {
        match self {
            Self::Call(c) => Some(&c.decided.who),
            Self::CallDecided(c) => Some(&c.who),
            Self::CallCompleted(c) => Some(&c.who),
            Self::CallInterrupted(c) => Some(&c.who),
            Self::PolicyShadow(c) => Some(&c.who),
            Self::ApprovalRequested(a) => Some(&a.who),
            _ => None,
        }
    }

    /// The task the event belongs to, if any.
    pub fn task(&self) -> Option<&str> {
        match self {
            Self::ApprovalApproved(a) | Self::ApprovalDenied(a) => Some(&a.task),
            Self::TokenIssued(t) => Some(&t.task),
            Self::TokenExchanged(t) => Some(&t.task),
            Self::ExchangeRefused(r) => r.task.as_deref(),
            // A refused attempt whose credential did not verify: the task
            // it claimed (marked `claimed` in the record).
            _ => self.attribution().and_then(|a| {
                a.task
                    .as_deref()
                    .or_else(|| a.claimed.as_ref().map(|c| c.task.as_str()))
            }),
        }
    }

    /// The agent the event is about, if any.
    pub fn agent(&self) -> Option<&str> {
        match self {
            Self::ApprovalApproved(a) | Self::ApprovalDenied(a) => Some(&a.agent),
            Self::TokenIssued(t) => Some(&t.agent),
            Self::TokenExchanged(t) => Some(&t.agent),
            Self::ExchangeRefused(r) => r.agent.as_deref(),
            Self::AgentQuarantined(o) | Self::AgentReleased(o) => o.agent.as_deref(),
            _ => self.attribution().and_then(|a| a.agent.as_deref()),
        }
    }

    /// The operator's signed action an operator record carries, if any.
    pub fn signed(&self) -> Option<&SignedAction> {
        match self {
            Self::ApprovalApproved(a) | Self::ApprovalDenied(a) => a.signed.as_ref(),
            Self::TokenIssued(t) => t.signed.as_ref(),
            Self::TokenRevoked(o)
            | Self::AgentQuarantined(o)
            | Self::AgentReleased(o)
            | Self::HostHalted(o)
            | Self::HostResumed(o)
            | Self::PluginDisabled(o)
            | Self::PluginEnabled(o)
            | Self::ReloadRequested(o) => o.signed.as_ref(),
            Self::VersionReset(v) => v.signed.as_ref(),
            _ => None,
        }
    }

    /// Whether the record stands for an operator's action, which must carry
    /// the operator's signature (from format 3), and the action it must be.
    pub fn operator_action(&self) -> Option<ActionKind> {
        Some(match self {
            Self::ApprovalApproved(_) => ActionKind::Approve,
            Self::ApprovalDenied(_) => ActionKind::Deny,
            Self::TokenIssued(_) => ActionKind::Issue,
            Self::TokenRevoked(_) => ActionKind::Revoke,
            Self::AgentQuarantined(_) => ActionKind::Quarantine,
            Self::AgentReleased(_) => ActionKind::Release,
            Self::HostHalted(_) => ActionKind::Halt,
            Self::HostResumed(_) => ActionKind::Resume,
            Self::PluginDisabled(_) => ActionKind::Disable,
            Self::PluginEnabled(_) => ActionKind::Enable,
            Self::ReloadRequested(_) => ActionKind::Reload,
            Self::VersionReset(_) => ActionKind::ResetVersion,
            _ => return None,
        })
    }

    /// Who the record says acted, for operator records.
    pub fn actor(&self) -> Option<&str> {
        match self {
            Self::ApprovalApproved(a) | Self::ApprovalDenied(a) => Some(&a.by),
            Self::TokenIssued(t) => Some(&t.by),
            Self::TokenRevoked(o)
            | Self::AgentQuarantined(o)
            | Self::AgentReleased(o)
            | Self::HostHalted(o)
            | Self::HostResumed(o)
            | Self::PluginDisabled(o)
            | Self::PluginEnabled(o)
            | Self::ReloadRequested(o) => Some(&o.by),
            Self::VersionReset(v) => Some(&v.by),
            _ => None,
        }
    }

    /// The release of the rules the event was decided under, if it names
    /// one (from format 7).
    pub fn release(&self) -> Option<&crate::governance::ReleaseRef> {
        match self {
            Self::ApprovalApproved(a) | Self::ApprovalDenied(a) => a.release.as_ref(),
            Self::TokenIssued(t) => t.release.as_ref(),
            Self::TokenExchanged(t) => t.release.as_ref(),
            Self::ExchangeRefused(r) => r.release.as_ref(),
            Self::TokenRevoked(o)
            | Self::AgentQuarantined(o)
            | Self::AgentReleased(o)
            | Self::HostHalted(o)
            | Self::HostResumed(o)
            | Self::PluginDisabled(o)
            | Self::PluginEnabled(o)
            | Self::ReloadRequested(o) => o.release.as_ref(),
            Self::VersionReset(v) => v.release.as_ref(),
            Self::SessionOpened(s) | Self::SessionClosed(s) => s.release.as_ref(),
            _ => self.attribution().and_then(|a| a.release.as_ref()),
        }
    }

    /// A call's decision: the `call` record (format 9) or `call.decided`
    /// (formats up to 8).
    pub fn decided(&self) -> Option<&CallDecided> {
        match self {
            Self::Call(c) => Some(&c.decided),
            Self::CallDecided(d) => Some(d),
            _ => None,
        }
    }

    /// How a call ended, with its attribution: the `call` record (format
    /// 9) or `call.completed` (formats up to 8).
    pub fn ended(&self) -> Option<(&Attribution, &CallEnded)> {
        match self {
            Self::Call(c) => Some((&c.decided.who, &c.ended)),
            Self::CallCompleted(c) => Some((&c.who, &c.ended)),
            _ => None,
        }
    }

    /// The call the event belongs to, if any.
    pub fn call_id(&self) -> Option<&str> {
        self.attribution().and_then(|a| a.call_id.as_deref())
    }
}
