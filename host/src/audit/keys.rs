//! The audit chain's keys: an HMAC key for record MACs (secret, stays on the
//! host) and an Ed25519 key for checkpoints (its public half lets anyone
//! verify integrity and truncation without the MAC key).

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::keys::{Algorithm, SigningKey};

/// The keys a writer needs.
#[derive(Debug, Clone)]
pub struct AuditKeys {
    /// The MAC secret.
    pub mac: Vec<u8>,
    /// The checkpoint signing key.
    pub checkpoint: ed25519_dalek::SigningKey,
}

/// Where the audit keys live in a state directory.
pub fn keys_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("keys")
}

fn load_or_create(dir: &Path, id: &str, alg: Algorithm) -> Result<SigningKey, String> {
    crate::keys::load_or_create(dir, id, alg)?.signing_key()
}

impl AuditKeys {
    /// Load the keys from `dir`, creating them on first use.
    ///
    /// # Errors
    ///
    /// A message when a key cannot be read or created.
    pub fn load_or_create(dir: &Path) -> Result<Self, String> {
        let mac = match load_or_create(dir, "audit-mac", Algorithm::HmacSha256)? {
            SigningKey::Hmac(s) => s,
            SigningKey::Ed25519(_) => return Err("audit-mac.key must be hmac-sha256".into()),
        };
        let checkpoint = match load_or_create(dir, "audit-checkpoint", Algorithm::Ed25519)? {
            SigningKey::Ed25519(k) => k,
            SigningKey::Hmac(_) => return Err("audit-checkpoint.key must be ed25519".into()),
        };
        Ok(Self { mac, checkpoint })
    }

    /// The checkpoint public key, base64.
    pub fn checkpoint_public(&self) -> String {
        B64.encode(self.checkpoint.verifying_key().to_bytes())
    }
}

/// Read a checkpoint public key: base64 text, or a file holding it (raw or
/// as the `public-key = "…"` line that `warrant keygen` writes).
///
/// # Errors
///
/// A message when it is neither.
pub fn parse_public_key(arg: &str) -> Result<ed25519_dalek::VerifyingKey, String> {
    let text = if Path::new(arg).is_file() {
        std::fs::read_to_string(arg).map_err(|e| format!("cannot read {arg}: {e}"))?
    } else {
        arg.to_owned()
    };
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
        .map_err(|_| "the checkpoint key is not base64".to_string())?;
    let arr = <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| "an ed25519 public key is 32 bytes".to_string())?;
    ed25519_dalek::VerifyingKey::from_bytes(&arr)
        .map_err(|e| format!("not an ed25519 public key: {e}"))
}
