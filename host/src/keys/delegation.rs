//! A console session's key: a short-lived Ed25519 key an operator delegates
//! their authority to when they log in to the console. Every action taken
//! in the console is a [`SignedAction`] signed with the session key and
//! carrying its [`Delegation`]: who granted the key, when, until when, and
//! the proof of the login —
//!
//! - a login link: a `console-login` action signed with the operator's own
//!   key whose `binding` is the session key's digest (the CLI makes the
//!   session key and signs it, so the host never could);
//! - an OpenID Connect login: the provider's ID token, whose `nonce` is the
//!   session key's digest.
//!
//! So a console action verifies offline like any other: the session key's
//! signature over the action, and the login over the session key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::keys::{SignedAction, sha256_hex};

/// How the operator logged in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum SessionLogin {
    /// A one-time login link: the operator's own signature over the
    /// session key.
    Link {
        /// The `console-login` action, `binding` = the session key's digest.
        login: Box<SignedAction>,
    },
    /// An OpenID Connect login (authorization code with PKCE).
    Oidc {
        /// The provider.
        issuer: String,
        /// The `sub` claim.
        subject: String,
        /// The `email` claim, when verified.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        email: Option<String>,
        /// The ID token; its `nonce` is the session key's digest.
        id_token: String,
    },
}

/// The grant of a console session key, carried by each action it signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delegation {
    /// The session key's id (`session-` and 16 hex digits of its digest).
    pub session: String,
    /// The session's Ed25519 public key, base64.
    pub session_key: String,
    /// The operator who logged in.
    pub operator: String,
    /// When the session opened, seconds since the epoch.
    pub opened: i64,
    /// When it ends at the latest.
    pub not_after: i64,
    /// The proof of the login.
    pub login: SessionLogin,
}

/// The digest a login binds: SHA-256 of the session's public key, hex.
pub fn session_digest(pk: &ed25519_dalek::VerifyingKey) -> String {
    sha256_hex(pk.as_bytes())
}

/// The id of a session key.
pub fn session_id(pk: &ed25519_dalek::VerifyingKey) -> String {
    format!("session-{}", &session_digest(pk)[..16])
}

impl Delegation {
    /// The session's public key.
    ///
    /// # Errors
    ///
    /// When it is not an Ed25519 key or not the key its id names.
    pub fn key(&self) -> Result<ed25519_dalek::VerifyingKey, String> {
        let bytes = B64
            .decode(self.session_key.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
            .ok_or("the session key is not an Ed25519 public key")?;
        let pk = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|_| "the session key is not an Ed25519 public key")?;
        if session_id(&pk) != self.session {
            return Err(format!("the session key is not {}", self.session));
        }
        Ok(pk)
    }
}
