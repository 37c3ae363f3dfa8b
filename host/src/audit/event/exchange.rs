//! Records of agents' identity credentials: a workload credential
//! exchanged for a task token, or refused, and the credential a call's
//! token came from.

use serde::{Deserialize, Serialize};

/// The identity credential a task token (or an accepted access token)
/// came from: which issuer, which workload, which credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialRef {
    /// The issuer's local id (`[[issuers]]`).
    pub issuer: String,
    /// The credential's `sub` (or its `client_id` when it has no `sub`).
    pub subject: String,
    /// Its `jti`, else `sha256:` and the digest of the credential.
    pub id: String,
    /// `access-token` when presented as an access token (RFC 9068);
    /// absent for a credential exchanged for a task token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// `token.exchanged`: a workload credential was exchanged for a task token
/// (RFC 8693).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenExchanged {
    /// The task token issued.
    pub token_id: String,
    /// The agent the workload is.
    pub agent: String,
    /// Who owns the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_owner: Option<String>,
    /// Its model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Who owns the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_owner: Option<String>,
    /// The task.
    pub task: String,
    /// The tools of the task token.
    pub tools: Vec<String>,
    /// Its expiry (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The credential it came from.
    pub credential: CredentialRef,
    /// The credential's `iss`.
    pub iss: String,
    /// The credential's expiry (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_expires: Option<String>,
    /// How it arrived: `http` or `cli`.
    pub channel: String,
    /// The release of the rules in force when it was decided (from
    /// format 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<crate::governance::ReleaseRef>,
}

/// `token.exchange-refused`: a credential was not exchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeRefused {
    /// The OAuth error code (`invalid_grant`, `invalid_scope`,
    /// `invalid_request`, `invalid_target`).
    pub error: String,
    /// Why, in words.
    pub reason: String,
    /// The issuer, when the credential named a configured one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Its subject, when it verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The agent, when the subject mapped to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The task asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// `sha256:` of the presented credential (never the credential).
    pub credential_digest: String,
    /// How it arrived.
    pub channel: String,
    /// The release of the rules in force when it was decided (from
    /// format 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<crate::governance::ReleaseRef>,
}
