//! An operator's action, signed with the operator's own Ed25519 key over
//! exactly what it does: its kind, its object, what it is bound to (the
//! held call of an approval), the reason, the time and a nonce. The host
//! verifies it before acting and keeps it in the audit chain, where anyone
//! with the operators' public keys can verify it again, offline.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::Signer as _;
use serde::{Deserialize, Serialize};

use crate::keys::{Purpose, signed_bytes};
use crate::vocab::to_canonical;

/// How far a signed action's time may be from the host's clock when it is
/// taken: a staler (or future) action is refused.
pub const MAX_ACTION_AGE_SECS: i64 = 300;

/// What an operator does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    /// Approve a held call.
    Approve,
    /// Deny a held call.
    Deny,
    /// Halt the host.
    Halt,
    /// Resume after a halt.
    Resume,
    /// Quarantine an agent.
    Quarantine,
    /// Release a quarantined agent.
    Release,
    /// Revoke a task token.
    Revoke,
    /// Disable a plugin.
    Disable,
    /// Enable a disabled plugin.
    Enable,
    /// Issue a task token.
    Issue,
    /// Ask every host to reload its config and trust.
    Reload,
    /// Forget a plugin's version high-water mark.
    ResetVersion,
    /// Open a console session: the binding is the session key's digest.
    ConsoleLogin,
}

impl ActionKind {
    /// The name used in files and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Deny => "deny",
            Self::Halt => "halt",
            Self::Resume => "resume",
            Self::Quarantine => "quarantine",
            Self::Release => "release",
            Self::Revoke => "revoke",
            Self::Disable => "disable",
            Self::Enable => "enable",
            Self::Issue => "issue",
            Self::Reload => "reload",
            Self::ResetVersion => "reset-version",
            Self::ConsoleLogin => "console-login",
        }
    }
}

/// A token an operator asks to issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// The agent.
    pub agent: String,
    /// The task.
    pub task: String,
    /// The tools (empty: the agent's whole grant).
    pub tools: Vec<String>,
    /// Lifetime in seconds.
    pub ttl_secs: u64,
}

/// What is signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// What is done.
    pub kind: ActionKind,
    /// The object: an approval id, agent, token id or plugin (empty for
    /// the whole host).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target: String,
    /// For an approval: the digest of what the held call is bound to
    /// (agent, task, tool, arguments, plugin version, component, tool
    /// definition), so the approver signs exactly the call they saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<String>,
    /// For issuing a token: what token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<IssueRequest>,
    /// Why (recorded).
    pub reason: String,
    /// Where it may be used: the host id (`host-…`) of the host whose
    /// state it acts on, or the fleet's id (`fleet-…`) when the state is a
    /// fleet's shared database. A host refuses an action meant for another
    /// (from format 7; older signatures carry none and are refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// The operator who signs.
    pub operator: String,
    /// The id of the key that signs.
    pub key: String,
    /// When it was signed, seconds since the epoch.
    pub time: i64,
    /// Random, used once.
    pub nonce: String,
}

/// An action and its signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedAction {
    /// What is signed.
    pub action: ActionBody,
    /// Ed25519 over `warrant/v1 operator-action\n` followed by the
    /// canonical JSON of `action`, base64.
    pub sig: String,
    /// For an action taken in the console: the session key that signed it
    /// and the operator's grant of that key (from format 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegation: Option<Box<crate::keys::Delegation>>,
}

impl ActionBody {
    /// The exact bytes signed.
    pub fn signed_bytes(&self) -> Vec<u8> {
        // Plain data: serialising it cannot fail.
        let v = serde_json::to_value(self).unwrap_or_default();
        signed_bytes(Purpose::OperatorAction, &to_canonical(&v))
    }

    /// Sign with `key`.
    pub fn sign(self, key: &ed25519_dalek::SigningKey) -> SignedAction {
        let sig = B64.encode(key.sign(&self.signed_bytes()).to_bytes());
        SignedAction {
            action: self,
            sig,
            delegation: None,
        }
    }
}

impl SignedAction {
    /// Whether the signature verifies under `pk` (strict Ed25519).
    pub fn verifies(&self, pk: &ed25519_dalek::VerifyingKey) -> bool {
        let Some(sig) = B64
            .decode(self.sig.trim())
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok())
        else {
            return false;
        };
        pk.verify_strict(
            &self.action.signed_bytes(),
            &ed25519_dalek::Signature::from_bytes(&sig),
        )
        .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_covers_every_field() {
        let sk = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        let body = ActionBody {
            kind: ActionKind::Approve,
            target: "apr-1".into(),
            binding: Some("b".repeat(64)),
            issue: None,
            reason: "ok".into(),
            audience: Some("host-1".into()),
            operator: "carol".into(),
            key: "carol-1".into(),
            time: 1,
            nonce: "n".into(),
        };
        let signed = body.clone().sign(&sk);
        assert!(signed.verifies(&sk.verifying_key()));
        let mut changed = signed.clone();
        changed.action.reason = "other".into();
        assert!(!changed.verifies(&sk.verifying_key()));
        let mut changed = signed.clone();
        changed.action.audience = Some("host-2".into());
        assert!(!changed.verifies(&sk.verifying_key()));
        let mut changed = signed.clone();
        changed.action.binding = Some("c".repeat(64));
        assert!(!changed.verifies(&sk.verifying_key()));
        let other = ed25519_dalek::SigningKey::from_bytes(&[4; 32]);
        assert!(!signed.verifies(&other.verifying_key()));
    }
}
