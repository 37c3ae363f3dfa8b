//! The record of every call. From format 9 one record, `call`, holds the
//! decision and the outcome, durable before the answer leaves (the
//! decision of a call allowed to run is first written ahead, outside the
//! chain, to its process's journal — see `mediation::intents`). Formats up
//! to 8 wrote two: `call.decided` before the tool ran and `call.completed`
//! after; both are still read.

use serde::{Deserialize, Serialize};

use super::Attribution;
use crate::capability::CapabilityUse;

/// `call.decided`: what was decided, by which layer and policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallDecided {
    /// Who, what, which task, which grant.
    #[serde(flatten)]
    pub who: Attribution,
    /// `sha256:` of the input exactly as the plugin receives it (the
    /// canonical JSON of the parsed arguments), or of the raw input when it
    /// could not be parsed.
    pub input_digest: String,
    /// Its size in bytes.
    pub input_size: u64,
    /// The arguments as policy saw them (their canonical JSON), for
    /// `warrant policy replay`, when at most `[audit] arguments` bytes
    /// (from format 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<serde_json::Value>,
    /// What the agent said it was doing (capped; never trusted).
    pub prompt: Option<String>,
    /// More context the agent gave, as JSON text (capped; never trusted).
    pub context: Option<String>,
    /// The decision.
    pub decision: Decision,
    /// The approval the call runs under, when one was needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalRef>,
    /// The approval request of a held call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_id: Option<String>,
    /// Decided while the shared state was unreachable, on the stop state
    /// last read: why and since when (from format 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degraded: Option<String>,
}

/// The decision on one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Allowed, allowed with approval, held or denied.
    pub result: DecisionResult,
    /// The layer that decided (`policy`, `approval`, `scope`, `token`, …).
    pub layer: String,
    /// The Cedar policy ids that decided.
    pub policies: Vec<String>,
    /// Why, in words (empty when allowed).
    pub reason: String,
}

/// The result of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecisionResult {
    /// It may run.
    Allow,
    /// It may run: a named human approved it.
    AllowWithApproval,
    /// It waits for a human's approval.
    Held,
    /// It may not run.
    Deny,
}

impl DecisionResult {
    /// The name written in the chain.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::AllowWithApproval => "allow-with-approval",
            Self::Held => "held",
            Self::Deny => "deny",
        }
    }
}

/// The approval a call ran under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRef {
    /// The approval request's id.
    pub id: String,
    /// Who approved.
    pub approver: String,
    /// Their reason.
    pub reason: Option<String>,
}

/// How a call ended: `ok`, or the kind of failure or refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEnded {
    /// `ok`, or the kind of failure or refusal (`refused`, `held`,
    /// `timeout`, `trap`, `cancelled`, …).
    pub outcome: String,
    /// What went wrong, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// From the request to the outcome, in milliseconds.
    pub duration_ms: u64,
    /// `sha256:` of the output.
    pub output_digest: Option<String>,
    /// Its size in bytes.
    pub output_size: u64,
    /// What the plugin used: HTTP requests, secrets (by name) — the first
    /// 16.
    pub uses: Vec<CapabilityUse>,
    /// Uses beyond the first 16, counted.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub uses_dropped: u64,
}

/// `call` (from format 9): one call, its decision and its outcome in one
/// record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    /// Who, what, the input, and what was decided.
    #[serde(flatten)]
    pub decided: CallDecided,
    /// How it ended.
    #[serde(flatten)]
    pub ended: CallEnded,
}

/// `call.completed` (formats up to 8): how the call ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallCompleted {
    /// The same attribution as the decision.
    #[serde(flatten)]
    pub who: Attribution,
    /// The same input digest as the decision.
    pub input_digest: String,
    /// Its size in bytes.
    pub input_size: u64,
    /// How it ended.
    #[serde(flatten)]
    pub ended: CallEnded,
    /// The approval request of a held call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_id: Option<String>,
}

/// `call.interrupted` (from format 7): a call was decided but its process
/// ended — a crash, a kill — before its outcome was recorded. Written by
/// the next process of the same host at its start, so that the chain
/// never leaves such a call silent: the tool may have run (and had its
/// effect) or not. In format 9 the decision was written ahead to the
/// dead process's journal, not to the chain: the record then carries it
/// (`decided`) instead of a `decided_seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallInterrupted {
    /// The same attribution as the decision.
    #[serde(flatten)]
    pub who: Attribution,
    /// The seq of its `call.decided` record (formats up to 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_seq: Option<u64>,
    /// What its decision was (`allow`, `allow-with-approval`, `deny`, …).
    pub decision: String,
    /// Why it has no outcome, in words.
    pub reason: String,
    /// The decision as its process wrote it ahead, before the tool ran
    /// (from format 9): when, the input, the deciding layer and policies,
    /// the approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided: Option<Box<DecidedAhead>>,
}

/// What a `call.interrupted` record of format 9 keeps of the decision its
/// process wrote ahead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecidedAhead {
    /// When it was decided (RFC 3339, ms).
    pub at: String,
    /// `sha256:` of the input the plugin was to receive.
    pub input_digest: String,
    /// Its size in bytes.
    pub input_size: u64,
    /// The decision.
    pub decision: Decision,
    /// The approval it was to run under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalRef>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One side of a shadow comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicySide {
    /// `allow`, `deny` or `needs-approval`.
    pub result: String,
    /// The deciding policy ids.
    pub policies: Vec<String>,
}

/// `policy.shadow`: the shadow policies (`[policy] shadow`) would have
/// decided this call otherwise than the live ones did. Nothing was changed
/// by it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyShadow {
    /// The call.
    #[serde(flatten)]
    pub who: Attribution,
    /// What the live policies decided.
    pub live: PolicySide,
    /// What the shadow policies would have decided.
    pub shadow: PolicySide,
}
