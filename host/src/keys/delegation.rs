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
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Operator;
use crate::keys::{ActionKind, SignedAction, sha256_hex};

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

/// What a delegation proves, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegationProof {
    /// The operator.
    pub operator: String,
    /// The session key's id.
    pub session: String,
    /// How the login was proven, in words.
    pub login: String,
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

    /// Check `signed` (which carries this delegation) against the
    /// operators of a host config: signed by the session key, within the
    /// session, and the session granted by the operator it names — by
    /// their own key valid at the login (a link), or by an ID token of the
    /// provider their entry names with the session key as nonce (OIDC; the
    /// provider's signature over the token was checked by the host at
    /// login and is not checked again here).
    ///
    /// # Errors
    ///
    /// Which check failed.
    pub fn check(
        &self,
        signed: &SignedAction,
        operators: &[Operator],
    ) -> Result<DelegationProof, String> {
        let a = &signed.action;
        if a.key != self.session || a.operator != self.operator {
            return Err(format!(
                "the action names key {} of {}, its session is {} of {}",
                a.key, a.operator, self.session, self.operator
            ));
        }
        let pk = self.key()?;
        if !signed.verifies(&pk) {
            return Err(format!(
                "the signature does not verify under the session key {}",
                self.session
            ));
        }
        if a.time < self.opened - 60 || a.time > self.not_after {
            return Err(format!(
                "signed at {}, outside the session ({} to {})",
                rfc3339(a.time),
                rfc3339(self.opened),
                rfc3339(self.not_after)
            ));
        }
        let Some(op) = operators.iter().find(|o| o.name == self.operator) else {
            return Err(format!("no operator {} in the config", self.operator));
        };
        let digest = session_digest(&pk);
        let login = match &self.login {
            SessionLogin::Link { login } => check_link(login, op, &digest, self.opened)?,
            SessionLogin::Oidc {
                issuer,
                subject,
                email,
                id_token,
            } => check_oidc(op, issuer, subject, email.as_deref(), id_token, &digest)?,
        };
        Ok(DelegationProof {
            operator: op.name.clone(),
            session: self.session.clone(),
            login,
        })
    }
}

fn check_link(
    login: &SignedAction,
    op: &Operator,
    digest: &str,
    opened: i64,
) -> Result<String, String> {
    let l = &login.action;
    if l.kind != ActionKind::ConsoleLogin || login.delegation.is_some() {
        return Err("the session's login is not a console-login signed by the operator".into());
    }
    if l.operator != op.name || l.binding.as_deref() != Some(digest) {
        return Err("the login was signed for another operator or another session key".into());
    }
    if (opened - l.time).abs() > crate::keys::LOGIN_MAX_AGE_SECS {
        return Err("the session opened long after its login was signed".into());
    }
    let Some(key) = op.keys.iter().find(|k| k.id == l.key) else {
        return Err(format!("{} has no key {} in the config", op.name, l.key));
    };
    let at = DateTime::<Utc>::from_timestamp(l.time, 0).unwrap_or_default();
    if let Some(why) = key.unusable_at(at) {
        return Err(format!(
            "the login was signed at {}, when {why}",
            at.to_rfc3339()
        ));
    }
    if !login.verifies(&key.key) {
        return Err(format!(
            "the login's signature does not verify under {}'s key {}",
            op.name, l.key
        ));
    }
    Ok(format!("login link signed with key {}", l.key))
}

fn check_oidc(
    op: &Operator,
    issuer: &str,
    subject: &str,
    email: Option<&str>,
    id_token: &str,
    digest: &str,
) -> Result<String, String> {
    let Some(want) = &op.oidc else {
        return Err(format!("{} has no oidc identity in the config", op.name));
    };
    let same = want.issuer.trim_end_matches('/') == issuer.trim_end_matches('/')
        && (want.subject.as_deref() == Some(subject)
            || (want.email.is_some() && want.email.as_deref() == email));
    if !same {
        return Err(format!(
            "{issuer} subject {subject} is not {}'s identity",
            op.name
        ));
    }
    let claims: serde_json::Value = id_token
        .split('.')
        .nth(1)
        .and_then(|p| B64URL.decode(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("the ID token cannot be read")?;
    let claim = |k: &str| claims.get(k).and_then(serde_json::Value::as_str);
    if claim("iss") != Some(issuer) || claim("sub") != Some(subject) {
        return Err("the ID token is for another issuer or subject".into());
    }
    if claim("nonce") != Some(digest) {
        return Err("the ID token's nonce is not this session key".into());
    }
    Ok(format!("OpenID login at {issuer} as {subject}"))
}

fn rfc3339(t: i64) -> String {
    DateTime::<Utc>::from_timestamp(t, 0).map_or_else(|| t.to_string(), |t| t.to_rfc3339())
}
