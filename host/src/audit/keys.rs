//! The audit chain's keys: an HMAC key for record MACs (secret, stays on the
//! host) and an Ed25519 key for checkpoints (its public half lets anyone
//! verify integrity and truncation without the MAC key).

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::audit::verify::VerifyKeys;
use crate::keys::SigningKey;
use crate::statedir::{HostKey, StateDir, StateDirError};
use crate::vocab::Invalid;

/// The keys a writer needs.
#[derive(Debug, Clone)]
pub struct AuditKeys {
    /// The MAC secret.
    pub mac: Vec<u8>,
    /// The checkpoint signing key.
    pub checkpoint: ed25519_dalek::SigningKey,
}

impl AuditKeys {
    /// The keys of a state directory, created on first use.
    ///
    /// # Errors
    ///
    /// [`StateDirError`] when a key can be neither read nor created.
    pub fn load_or_create(dir: &StateDir) -> Result<Self, StateDirError> {
        let SigningKey::Hmac(mac) = dir.host_key(HostKey::AuditMac)? else {
            unreachable!("the state directory checks the key's algorithm")
        };
        let SigningKey::Ed25519(checkpoint) = dir.host_key(HostKey::AuditCheckpoint)? else {
            unreachable!("the state directory checks the key's algorithm")
        };
        Ok(Self { mac, checkpoint })
    }

    /// The checkpoint public key, base64.
    pub fn checkpoint_public(&self) -> String {
        B64.encode(self.checkpoint.verifying_key().to_bytes())
    }

    /// A stable id for the host that holds these keys: `host-` and the
    /// first 16 hex digits of the SHA-256 of its checkpoint public key.
    pub fn host_id(&self) -> String {
        let hex = crate::keys::sha256_hex(&self.checkpoint.verifying_key().to_bytes());
        format!("host-{}", &hex[..16])
    }
}

impl VerifyKeys {
    /// The keys a state directory holds, for verifying its chain; the MAC
    /// key only when `with_mac`. Missing keys are left out (nothing is
    /// created).
    ///
    /// # Errors
    ///
    /// [`StateDirError`] when a key exists but cannot be read.
    pub fn from_state_dir(dir: &StateDir, with_mac: bool) -> Result<Self, StateDirError> {
        let mut keys = Self::default();
        if with_mac && let Some(SigningKey::Hmac(k)) = dir.read_host_key(HostKey::AuditMac)? {
            keys.mac = Some(k);
        }
        if let Some(SigningKey::Ed25519(k)) = dir.read_host_key(HostKey::AuditCheckpoint)? {
            keys.checkpoint = Some(k.verifying_key());
        }
        Ok(keys)
    }
}

/// The checkpoint signing key of a state directory, if it has one (for
/// signing the verified mark; nothing is created).
///
/// # Errors
///
/// [`StateDirError`] when the key exists but cannot be read.
pub fn checkpoint_signer(
    dir: &StateDir,
) -> Result<Option<ed25519_dalek::SigningKey>, StateDirError> {
    Ok(match dir.read_host_key(HostKey::AuditCheckpoint)? {
        Some(SigningKey::Ed25519(k)) => Some(k),
        _ => None,
    })
}

/// Read a checkpoint public key: base64 text, or a file holding it (raw or
/// as the `public-key = "…"` line that `warrant keygen` writes).
///
/// # Ambient Authority
///
/// Reads `arg` when it names a file (the operator's command line does).
///
/// # Errors
///
/// [`Invalid`] when it is neither.
pub fn parse_public_key(arg: &str) -> Result<ed25519_dalek::VerifyingKey, Invalid> {
    let text = if Path::new(arg).is_file() {
        std::fs::read_to_string(arg).map_err(|e| Invalid(format!("cannot read {arg}: {e}")))?
    } else {
        arg.to_owned()
    };
    crate::keys::parse_ed25519_public(&text)
        .map_err(|e| Invalid(format!("the checkpoint key: {e}")))
}
