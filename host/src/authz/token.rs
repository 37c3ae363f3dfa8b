//! Task tokens: short-lived, per task, signed by the host's token key
//! (HMAC-SHA256). Compact form: `wt1.<payload>.<signature>`, both base64url.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::keys::{KeyError, KeyFile, Purpose, SigningKey, signed_bytes};
use crate::statedir::{HostKey, StateDir, StateDirError};

const PREFIX: &str = "wt1.";
/// Longest token accepted, in bytes.
const MAX_TOKEN: usize = 8 * 1024;

/// The claims of a task token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskToken {
    /// Token id (for revocation and the audit chain).
    pub id: String,
    /// The agent it was issued to.
    pub agent: String,
    /// The task it is for.
    pub task: String,
    /// Tools it may call: `plugin.tool` or `plugin.*`.
    pub tools: Vec<String>,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Not valid before, seconds since the epoch.
    pub nbf: i64,
    /// Expires at, seconds since the epoch.
    pub exp: i64,
    /// The operator who issued it (their signed request is in the audit
    /// chain); used to keep four eyes on approvals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The resource it is for (exchanged tokens: this host's resource
    /// identifier); checked by the HTTP server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// The identity credential it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<crate::audit::event::CredentialRef>,
    /// The key it is bound to (DPoP, RFC 9449): only a request with a
    /// proof by that key may present it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<crate::authz::Confirmation>,
}

/// The host's token key.
#[derive(Clone)]
pub struct TokenKey {
    secret: Vec<u8>,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

/// Why a token string was not accepted (before any time or scope check).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenFormatError {
    /// Not a warrant task token.
    #[error("not a warrant task token (expected wt1.<payload>.<signature>)")]
    Malformed,
    /// The signature does not match: forged, altered, or from another host.
    #[error("the token's signature does not verify (altered, forged, or issued by another host)")]
    BadSignature,
}

impl TokenKey {
    /// The token key of a state directory, created on first use.
    ///
    /// # Errors
    ///
    /// [`StateDirError`] when the key can be neither read nor created.
    pub fn from_state_dir(dir: &StateDir) -> Result<Self, StateDirError> {
        match dir.host_key(HostKey::Tokens)? {
            SigningKey::Hmac(secret) => Ok(Self { secret }),
            SigningKey::Ed25519(_) => {
                unreachable!("the state directory checks the key's algorithm")
            }
        }
    }

    /// A token key from a key file.
    ///
    /// # Errors
    ///
    /// [`KeyError::Material`] when the file holds no HMAC key.
    pub fn from_file(f: &KeyFile) -> Result<Self, KeyError> {
        match f.signing_key()? {
            SigningKey::Hmac(secret) => Ok(Self { secret }),
            SigningKey::Ed25519(_) => Err(KeyError::Material {
                id: f.id.clone(),
                why: "a token key must be hmac-sha256".into(),
            }),
        }
    }

    fn mac(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(&signed_bytes(Purpose::TaskToken, payload.as_bytes()));
        mac
    }

    /// Encode and sign a token.
    pub fn encode(&self, t: &TaskToken) -> String {
        // Plain data: serialisation cannot fail.
        let json = serde_json::to_vec(t).unwrap_or_default();
        let payload = B64URL.encode(json);
        let sig = B64URL.encode(self.mac(&payload).finalize().into_bytes());
        format!("{PREFIX}{payload}.{sig}")
    }

    /// Check a token's signature and decode its claims. Time, revocation and
    /// scope are checked by the caller.
    ///
    /// # Errors
    ///
    /// [`TokenFormatError`].
    pub fn decode(&self, token: &str) -> Result<TaskToken, TokenFormatError> {
        let token = token.trim();
        if token.len() > MAX_TOKEN {
            return Err(TokenFormatError::Malformed);
        }
        let rest = token
            .strip_prefix(PREFIX)
            .ok_or(TokenFormatError::Malformed)?;
        let (payload, sig) = rest.split_once('.').ok_or(TokenFormatError::Malformed)?;
        let sig = B64URL
            .decode(sig)
            .map_err(|_| TokenFormatError::Malformed)?;
        self.mac(payload)
            .verify_slice(&sig)
            .map_err(|_| TokenFormatError::BadSignature)?;
        let json = B64URL
            .decode(payload)
            .map_err(|_| TokenFormatError::Malformed)?;
        serde_json::from_slice(&json).map_err(|_| TokenFormatError::Malformed)
    }
}

/// Whether `qualified` (`plugin.tool`) matches a pattern (`plugin.tool` or
/// `plugin.*`).
pub fn tool_matches(pattern: &str, qualified: &str) -> bool {
    match pattern.strip_suffix(".*") {
        Some(plugin) => qualified.split_once('.').is_some_and(|(p, _)| p == plugin),
        None => pattern == qualified,
    }
}

/// Whether every tool `requested` (patterns too) is within `granted`.
pub fn within(granted: &[String], requested: &str) -> bool {
    granted.iter().any(|g| {
        if requested.ends_with(".*") {
            g == requested
        } else {
            tool_matches(g, requested)
        }
    })
}

/// A random token id.
pub fn new_token_id() -> String {
    crate::vocab::random_id("tok", 9)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TokenKey {
        TokenKey {
            secret: vec![5; 32],
        }
    }

    fn token() -> TaskToken {
        TaskToken {
            id: "tok-1".into(),
            agent: "triage-bot".into(),
            task: "INC-2026-0042".into(),
            tools: vec!["log-search.*".into()],
            iat: 1,
            nbf: 1,
            exp: 2,
            by: Some("carol".into()),
            aud: None,
            via: None,
            cnf: None,
        }
    }

    #[test]
    fn round_trip_and_tamper() {
        let k = key();
        let s = k.encode(&token());
        assert_eq!(k.decode(&s).unwrap(), token());
        let mut other = token();
        other.agent = "other".into();
        let forged_payload = k.encode(&other);
        let (_, fsig) = forged_payload.rsplit_once('.').unwrap();
        let (orig_head, _) = s.rsplit_once('.').unwrap();
        assert_eq!(
            k.decode(&format!("{orig_head}.{fsig}")),
            Err(TokenFormatError::BadSignature)
        );
        assert_eq!(
            TokenKey {
                secret: vec![6; 32]
            }
            .decode(&s),
            Err(TokenFormatError::BadSignature)
        );
        assert_eq!(k.decode("Bearer xyz"), Err(TokenFormatError::Malformed));
    }

    #[test]
    fn patterns() {
        assert!(tool_matches("log-search.*", "log-search.search"));
        assert!(!tool_matches("log-search.*", "log-searchx.search"));
        assert!(tool_matches("ioc-extract.extract", "ioc-extract.extract"));
        let granted = vec![
            "log-search.*".to_string(),
            "ioc-extract.extract".to_string(),
        ];
        assert!(within(&granted, "log-search.search"));
        assert!(within(&granted, "log-search.*"));
        assert!(!within(&granted, "case-note.append"));
        assert!(!within(&granted, "ioc-extract.*"));
    }
}
