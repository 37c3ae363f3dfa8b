//! The checkpoints `audit verify` checks the chain against: each one's
//! signature (but those a verified mark read before), and two heads for
//! one seq (a split view).

use std::path::Path;

use crate::audit::checkpoint::{Checkpoint, CheckpointsError};
use crate::audit::fault::ChainFault;

/// The first seq for which `cps` holds two different heads.
pub(crate) fn split_view(cps: &[(u64, String)]) -> Option<u64> {
    let mut seen: std::collections::HashMap<u64, &str> = std::collections::HashMap::new();
    cps.iter()
        .find_map(|(seq, head)| match seen.insert(*seq, head) {
            Some(other) if other != head => Some(*seq),
            _ => None,
        })
}

/// The `(seq, head)` of each checkpoint (but those at seq 0).
pub(crate) fn heads(cps: &[Checkpoint]) -> Vec<(u64, String)> {
    cps.iter()
        .filter(|c| c.seq > 0)
        .map(|c| (c.seq, c.head.clone()))
        .collect()
}

/// How much of a checkpoints file a verification read: its length, and
/// the SHA-256 of those bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Seen {
    /// Bytes read.
    pub(crate) len: u64,
    /// Their SHA-256, hex.
    pub(crate) sha256: String,
}

/// A checkpoints file read for verification.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    /// Its checkpoints, in file order.
    pub(crate) cps: Vec<Checkpoint>,
    /// How many of them (the first) a verified mark had read: their
    /// signatures were checked then.
    pub(crate) before: usize,
    /// What this verification read of it.
    pub(crate) seen: Seen,
}

/// Read the checkpoints file at `path` and check the signature of every
/// checkpoint in it — but those in the bytes `mark` saw, which a verified
/// mark says were checked. `Ok(Err(why))` when the file no longer starts
/// with those bytes (the mark cannot be used). A missing file has no
/// checkpoints.
///
/// # Ambient Authority
///
/// Reads `path` (the chain's own checkpoints, or a witness copy the
/// operator placed elsewhere on purpose).
pub(crate) fn load(
    path: &Path,
    pk: &ed25519_dalek::VerifyingKey,
    mark: Option<&Seen>,
) -> Result<Result<Loaded, String>, ChainFault> {
    let file = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(ChainFault::Io(format!("{file}: {e}"))),
    };
    let seen = |len: usize| Seen {
        len: len as u64,
        sha256: crate::keys::sha256_hex(&bytes[..len]),
    };
    let before_len = match mark {
        Some(m) => {
            let len = usize::try_from(m.len).unwrap_or(usize::MAX);
            if len > bytes.len() || seen(len) != *m {
                return Ok(Err(format!(
                    "{file} no longer starts with the checkpoints it verified"
                )));
            }
            m.len
        }
        None => 0,
    };
    let parsed = crate::audit::checkpoint::parse_checkpoints(&bytes).map_err(|e| match e {
        CheckpointsError::Line(line) => ChainFault::BadCheckpoint {
            file: file.clone(),
            line,
        },
        CheckpointsError::Io(why) => ChainFault::Io(why),
    })?;
    let mut out = Loaded {
        seen: seen(bytes.len()),
        ..Loaded::default()
    };
    for (i, (cp, end)) in parsed.into_iter().enumerate() {
        if end <= before_len {
            out.before += 1;
        } else if !cp.verifies(pk) {
            return Err(ChainFault::BadCheckpoint {
                file,
                line: i as u64 + 1,
            });
        }
        out.cps.push(cp);
    }
    Ok(Ok(out))
}
