//! Task tokens: short-lived, per task, signed by the issuing host's own
//! Ed25519 token key and verifiable by every host of its fleet.
//!
//! A token is a JWT access token in the shape of RFC 9068 (`typ: at+jwt`,
//! `alg: EdDSA`, `kid` naming the host's key), made and checked by
//! `jsonwebtoken`, the library the field uses: `iss` is the fleet (or, on
//! one host, the host) it is good in, `sub` and `client_id` the agent,
//! `jti` the token id, `scope` the tools, `warrant_task` the task, and —
//! when they apply — `aud` (the resource it is for), `warrant_by` (the
//! operator who issued it), `warrant_via` (the workload credential it was
//! exchanged for) and `cnf.jkt` (the DPoP key it is bound to). Each host
//! publishes its key's public half in the shared state (and at its JWKS
//! endpoint); a host verifies a token against the key its `kid` names.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::keys::SigningKey;
use crate::state::PublishedKey;
use crate::statedir::{HostKey, StateDir, StateDirError};

/// Longest token accepted, in bytes.
const MAX_TOKEN: usize = 8 * 1024;
/// The prefix of warrant's token key ids.
pub const KID_PREFIX: &str = "wtk-";

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
    /// The token key that signed it (a task token of this fleet; none for
    /// an organisation's access token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

/// The JWT claims of a task token (RFC 9068 and warrant's own).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Claims {
    iss: String,
    sub: String,
    client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aud: Option<String>,
    iat: i64,
    nbf: i64,
    exp: i64,
    jti: String,
    scope: String,
    warrant_task: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    warrant_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    warrant_via: Option<crate::audit::event::CredentialRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cnf: Option<crate::authz::Confirmation>,
}

/// Why a token string was not accepted (before any time or scope check).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenFormatError {
    /// Not a warrant task token.
    #[error("not a warrant task token (expected a JWT signed by a host's token key)")]
    Malformed,
    /// The signature does not match: forged or altered.
    #[error("the token's signature does not verify under its key {0} (altered, or forged)")]
    BadSignature(String),
}

/// A host's token signing key.
#[derive(Clone)]
pub struct TokenSigner {
    kid: String,
    host: String,
    key: ed25519_dalek::SigningKey,
    encoding: EncodingKey,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner")
            .field("kid", &self.kid)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

/// The key id of a token public key: `wtk-` and the first 16 hex digits of
/// its SHA-256.
pub fn key_id(public: &ed25519_dalek::VerifyingKey) -> String {
    let hex = crate::keys::sha256_hex(public.as_bytes());
    format!("{KID_PREFIX}{}", &hex[..16])
}

impl TokenSigner {
    /// The token key of a state directory (created on first use), held by
    /// the host whose checkpoint key is there.
    ///
    /// # Errors
    ///
    /// [`StateDirError`] when a key can be neither read nor created.
    pub fn from_state_dir(dir: &StateDir) -> Result<Self, StateDirError> {
        let SigningKey::Ed25519(key) = dir.host_key(HostKey::Tokens)? else {
            unreachable!("the state directory checks the key's algorithm")
        };
        let SigningKey::Ed25519(checkpoint) = dir.host_key(HostKey::AuditCheckpoint)? else {
            unreachable!("the state directory checks the key's algorithm")
        };
        let hex = crate::keys::sha256_hex(&checkpoint.verifying_key().to_bytes());
        Ok(Self::new(key, format!("host-{}", &hex[..16])))
    }

    /// A signer with `key`, held by `host`.
    pub fn new(key: ed25519_dalek::SigningKey, host: String) -> Self {
        // PKCS#8 v1 for Ed25519 (RFC 8410): a fixed prefix and the seed.
        let mut der = hex::decode("302e020100300506032b657004220420").unwrap_or_default();
        der.extend_from_slice(&key.to_bytes());
        Self {
            kid: key_id(&key.verifying_key()),
            host,
            encoding: EncodingKey::from_ed_der(&der),
            key,
        }
    }

    /// Its key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The host that holds it.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Its public half, as published.
    pub fn published(&self) -> PublishedKey {
        PublishedKey {
            kid: self.kid.clone(),
            host: self.host.clone(),
            public_key: B64URL.encode(self.key.verifying_key().as_bytes()),
            created_ms: crate::state::now_ms(),
        }
    }

    /// Sign `t` as a token of issuer `iss` (the fleet's id, or the host's).
    pub fn encode(&self, t: &TaskToken, iss: &str) -> String {
        let claims = Claims {
            iss: iss.to_owned(),
            sub: t.agent.clone(),
            client_id: t.agent.clone(),
            aud: t.aud.clone(),
            iat: t.iat,
            nbf: t.nbf,
            exp: t.exp,
            jti: t.id.clone(),
            scope: t.tools.join(" "),
            warrant_task: t.task.clone(),
            warrant_by: t.by.clone(),
            warrant_via: t.via.clone(),
            cnf: t.cnf.clone(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some("at+jwt".into());
        header.kid = Some(self.kid.clone());
        // An Ed25519 key and plain claims: signing cannot fail.
        jsonwebtoken::encode(&header, &claims, &self.encoding).unwrap_or_default()
    }
}

/// The key id a warrant task token names, if `token` is one (a JWT whose
/// `kid` is a warrant token key's); `None` for anything else.
pub fn warrant_kid(token: &str) -> Option<String> {
    let token = token.trim();
    if token.len() > MAX_TOKEN || token.matches('.').count() != 2 {
        return None;
    }
    let header = jsonwebtoken::decode_header(token).ok()?;
    header
        .kid
        .filter(|k| k.starts_with(KID_PREFIX) && k.len() <= 64)
}

/// Check a token's signature under `public` (base64url Ed25519) and
/// decode its claims and issuer. Time, revocation, issuer and scope are
/// checked by the caller.
///
/// # Errors
///
/// [`TokenFormatError`].
pub fn decode(
    token: &str,
    kid: &str,
    public: &str,
) -> Result<(TaskToken, String), TokenFormatError> {
    let token = token.trim();
    if token.len() > MAX_TOKEN {
        return Err(TokenFormatError::Malformed);
    }
    let key = DecodingKey::from_ed_components(public).map_err(|_| TokenFormatError::Malformed)?;
    let mut v = Validation::new(Algorithm::EdDSA);
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Claims>(token, &key, &v).map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::InvalidSignature => {
            TokenFormatError::BadSignature(kid.to_owned())
        }
        _ => TokenFormatError::Malformed,
    })?;
    if data.header.typ.as_deref() != Some("at+jwt") {
        return Err(TokenFormatError::Malformed);
    }
    let c = data.claims;
    if c.sub != c.client_id {
        return Err(TokenFormatError::Malformed);
    }
    let t = TaskToken {
        id: c.jti,
        agent: c.sub,
        task: c.warrant_task,
        tools: c.scope.split_whitespace().map(str::to_owned).collect(),
        iat: c.iat,
        nbf: c.nbf,
        exp: c.exp,
        by: c.warrant_by,
        aud: c.aud,
        via: c.warrant_via,
        cnf: c.cnf,
        kid: Some(kid.to_owned()),
    };
    Ok((t, c.iss))
}

/// What a token that did not verify names of itself — never believed,
/// only recorded, so that a refused attempt stays in the story of the task
/// it named: its task (`warrant_task`; a valid task id, or nothing), agent
/// (`sub`, else `client_id`) and token id (`jti`), each capped. Read from a
/// JWT's payload without checking anything.
pub fn claimed(token: &str) -> Option<crate::audit::event::Claimed> {
    use base64::Engine as _;
    let token = token.trim();
    if token.len() > MAX_TOKEN {
        return None;
    }
    let mut parts = token.split('.');
    let (_, payload) = (parts.next()?, parts.next()?);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let text = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_str)
            .map(|s| crate::vocab::cap_at(s, 128))
    };
    let task = text("warrant_task").filter(|t| crate::config::valid_id(t))?;
    Some(crate::audit::event::Claimed {
        task,
        agent: text("sub").or_else(|| text("client_id")),
        token_id: text("jti"),
    })
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
mod tests;
