//! Keys and signatures: HMAC-SHA256 for keys an operator holds, Ed25519 for
//! publishers. One algorithm per key; the kind of object signed is part of
//! the signed bytes, so a signature over a token never verifies as a
//! manifest.

mod action;
mod delegation;
mod files;
mod trust;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer as _, SigningKey as EdSigningKey, VerifyingKey as EdVerifyingKey};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub use action::{ActionBody, ActionKind, IssueRequest, MAX_ACTION_AGE_SECS, SignedAction};
pub use delegation::{Delegation, SessionLogin, session_digest, session_id};

/// How long a console login link (a signed `console-login`) is good for.
pub const LOGIN_MAX_AGE_SECS: i64 = 300;
pub use files::{KeyError, KeyFile, generate, read_key_file, write_key_files};
pub use trust::{TrustError, TrustStore, TrustedKey};

/// A signature algorithm. A key has exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    /// Ed25519 public-key signatures (publishers).
    Ed25519,
    /// HMAC-SHA256 with a shared secret (keys the operator holds).
    HmacSha256,
}

impl Algorithm {
    /// The name used in files and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ed25519 => "ed25519",
            Self::HmacSha256 => "hmac-sha256",
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Algorithm {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ed25519" => Ok(Self::Ed25519),
            "hmac-sha256" => Ok(Self::HmacSha256),
            other => Err(format!(
                "unknown algorithm {other:?}; use ed25519 or hmac-sha256"
            )),
        }
    }
}

/// What a signature is over. Part of the signed bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A plugin manifest.
    Manifest,
    /// A task token.
    TaskToken,
    /// An audit checkpoint.
    AuditCheckpoint,
    /// An operator's action.
    OperatorAction,
    /// A governor's signature over a release of the rules.
    Release,
    /// The host's mark of how far it has verified its audit chain.
    AuditVerified,
}

impl Purpose {
    fn tag(self) -> &'static [u8] {
        match self {
            Self::Manifest => b"warrant/v1 manifest\n",
            Self::TaskToken => b"warrant/v1 task-token\n",
            Self::AuditCheckpoint => b"warrant/v1 audit-checkpoint\n",
            Self::OperatorAction => b"warrant/v1 operator-action\n",
            Self::Release => b"warrant/v1 rules-release\n",
            Self::AuditVerified => b"warrant/v1 audit-verified\n",
        }
    }
}

/// The exact bytes signed for `purpose` over `body`.
pub fn signed_bytes(purpose: Purpose, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(purpose.tag().len() + body.len());
    out.extend_from_slice(purpose.tag());
    out.extend_from_slice(body);
    out
}

/// Key material that can sign.
#[derive(Clone)]
pub enum SigningKey {
    /// An Ed25519 private key.
    Ed25519(EdSigningKey),
    /// An HMAC secret.
    Hmac(Vec<u8>),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.algorithm())
    }
}

impl SigningKey {
    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            Self::Ed25519(_) => Algorithm::Ed25519,
            Self::Hmac(_) => Algorithm::HmacSha256,
        }
    }

    /// Sign `body` for `purpose`; the signature as base64.
    pub fn sign(&self, purpose: Purpose, body: &[u8]) -> String {
        let msg = signed_bytes(purpose, body);
        match self {
            Self::Ed25519(k) => B64.encode(k.sign(&msg).to_bytes()),
            Self::Hmac(secret) => B64.encode(hmac_sha256(secret, &msg)),
        }
    }

    /// The matching verification key.
    pub fn verifying_key(&self) -> VerifyingKey {
        match self {
            Self::Ed25519(k) => VerifyingKey::Ed25519(k.verifying_key()),
            Self::Hmac(secret) => VerifyingKey::Hmac(secret.clone()),
        }
    }
}

/// Key material that can verify.
#[derive(Clone)]
pub enum VerifyingKey {
    /// An Ed25519 public key.
    Ed25519(EdVerifyingKey),
    /// An HMAC secret (the same secret signs and verifies).
    Hmac(Vec<u8>),
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VerifyingKey({})", self.algorithm())
    }
}

impl VerifyingKey {
    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            Self::Ed25519(_) => Algorithm::Ed25519,
            Self::Hmac(_) => Algorithm::HmacSha256,
        }
    }

    /// Check `signature_b64` over `body` for `purpose`. HMAC comparison is
    /// constant-time; Ed25519 uses strict verification.
    pub fn verify(&self, purpose: Purpose, body: &[u8], signature_b64: &str) -> bool {
        let Ok(sig) = B64.decode(signature_b64.trim()) else {
            return false;
        };
        let msg = signed_bytes(purpose, body);
        match self {
            Self::Ed25519(k) => {
                let Ok(bytes) = <[u8; 64]>::try_from(sig.as_slice()) else {
                    return false;
                };
                k.verify_strict(&msg, &ed25519_dalek::Signature::from_bytes(&bytes))
                    .is_ok()
            }
            Self::Hmac(secret) => {
                let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
                    return false;
                };
                mac.update(&msg);
                mac.verify_slice(&sig).is_ok()
            }
        }
    }
}

/// Read an Ed25519 public key: base64, or text holding a
/// `public-key = "…"` line (the `ID.pub` files `warrant keygen` writes).
///
/// # Errors
///
/// [`Invalid`](crate::vocab::Invalid) when it is neither.
pub fn parse_ed25519_public(text: &str) -> Result<EdVerifyingKey, crate::vocab::Invalid> {
    use crate::vocab::Invalid;
    let b64 = text
        .lines()
        .find_map(|l| {
            l.trim().strip_prefix("public-key").map(|r| {
                r.trim_start_matches([' ', '='])
                    .trim()
                    .trim_matches('"')
                    .to_owned()
            })
        })
        .unwrap_or_else(|| text.trim().to_owned());
    let bytes = B64
        .decode(b64.trim())
        .map_err(|_| Invalid::from("the public key is not base64"))?;
    let arr = <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| Invalid::from("an ed25519 public key is 32 bytes"))?;
    EdVerifyingKey::from_bytes(&arr).map_err(|e| Invalid(format!("not an ed25519 public key: {e}")))
}

/// HMAC-SHA256 of `msg` under `key`.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// SHA-256 of `bytes`, as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_bound_to_purpose_and_body() {
        for key in [
            SigningKey::Ed25519(EdSigningKey::from_bytes(&[7u8; 32])),
            SigningKey::Hmac(vec![9u8; 32]),
        ] {
            let vk = key.verifying_key();
            let sig = key.sign(Purpose::Manifest, b"body");
            assert!(vk.verify(Purpose::Manifest, b"body", &sig));
            assert!(!vk.verify(Purpose::TaskToken, b"body", &sig));
            assert!(!vk.verify(Purpose::Manifest, b"body!", &sig));
            assert!(!vk.verify(Purpose::Manifest, b"body", "not base64!"));
            assert!(!vk.verify(Purpose::Manifest, b"body", ""));
        }
    }

    #[test]
    fn other_keys_do_not_verify() {
        let a = SigningKey::Hmac(vec![1; 32]);
        let b = SigningKey::Hmac(vec![2; 32]);
        let sig = a.sign(Purpose::Manifest, b"x");
        assert!(!b.verifying_key().verify(Purpose::Manifest, b"x", &sig));
    }
}
