//! The checkpoints `audit verify` checks the chain against: each one's
//! signature, and two heads for one seq (a split view).

use std::path::Path;

use crate::audit::checkpoint::{Checkpoint, CheckpointsError, read_checkpoints};
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

pub(crate) fn heads(cps: Vec<Checkpoint>) -> Vec<(u64, String)> {
    cps.into_iter()
        .filter(|c| c.seq > 0)
        .map(|c| (c.seq, c.head))
        .collect()
}

/// Read and check the signature of every checkpoint in `path`.
pub(crate) fn checked(
    path: &Path,
    pk: &ed25519_dalek::VerifyingKey,
) -> Result<Vec<Checkpoint>, ChainFault> {
    let file = path.display().to_string();
    let cps: Vec<Checkpoint> = read_checkpoints(path).map_err(|e| match e {
        CheckpointsError::Line(line) => ChainFault::BadCheckpoint {
            file: file.clone(),
            line,
        },
        CheckpointsError::Io(why) => ChainFault::Io(why),
    })?;
    let mut out = Vec::new();
    for (i, cp) in cps.into_iter().enumerate() {
        if !cp.verifies(pk) {
            return Err(ChainFault::BadCheckpoint {
                file,
                line: i as u64 + 1,
            });
        }
        out.push(cp);
    }
    Ok(out)
}
