//! Verifying the chain: every hash and link, every MAC when the key is
//! available, every checkpoint's signature, and truncation after a
//! checkpoint.

use std::io::{BufRead, BufReader};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use crate::audit::record::{GENESIS, Record};
use crate::canonical::to_canonical;
use crate::keys::{Purpose, signed_bytes};

/// What was wrong with the chain: the first problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainFault {
    /// A line is not a record.
    #[error("line {line}: not a valid record ({why}) — edited or damaged")]
    Unreadable {
        /// Line number.
        line: u64,
        /// Parse error.
        why: String,
    },
    /// A record's content does not match its hash.
    #[error("record {seq} (line {line}): edited — its content does not match its hash")]
    Edited {
        /// Sequence number.
        seq: u64,
        /// Line number.
        line: u64,
    },
    /// A record's MAC does not match (edited and re-hashed without the key).
    #[error(
        "record {seq} (line {line}): edited — its MAC does not verify under the host's audit key"
    )]
    BadMac {
        /// Sequence number.
        seq: u64,
        /// Line number.
        line: u64,
    },
    /// Records are missing before this one.
    #[error("record {seq} (line {line}): missing record(s) — expected seq {expected}")]
    Missing {
        /// Sequence number found.
        seq: u64,
        /// Line number.
        line: u64,
        /// The seq expected.
        expected: u64,
    },
    /// Records are out of order.
    #[error("record {seq} (line {line}): reordered — expected seq {expected}")]
    Reordered {
        /// Sequence number found.
        seq: u64,
        /// Line number.
        line: u64,
        /// The seq expected.
        expected: u64,
    },
    /// The link to the previous record is broken.
    #[error(
        "record {seq} (line {line}): broken link — its `prev` is not the previous record's hash"
    )]
    BrokenLink {
        /// Sequence number.
        seq: u64,
        /// Line number.
        line: u64,
    },
    /// The log ends before a checkpoint's sequence number.
    #[error(
        "truncated after checkpoint {checkpoint}: the checkpoint covers seq {checkpoint} but the log ends at seq {last}"
    )]
    Truncated {
        /// The checkpoint's seq.
        checkpoint: u64,
        /// The last seq in the log.
        last: u64,
    },
    /// A checkpoint disagrees with the record at its seq.
    #[error(
        "checkpoint {checkpoint}: the record at that seq has another hash — history was rewritten"
    )]
    CheckpointMismatch {
        /// The checkpoint's seq.
        checkpoint: u64,
    },
    /// A checkpoint's signature does not verify.
    #[error("checkpoints line {line}: bad signature — forged or edited checkpoint")]
    BadCheckpoint {
        /// Line in the checkpoints file.
        line: u64,
    },
    /// The files could not be read.
    #[error("cannot read {0}")]
    Io(String),
}

/// What a successful verification covered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainSummary {
    /// Records checked.
    pub records: u64,
    /// MACs checked (0 without the key).
    pub macs_checked: u64,
    /// Checkpoints checked (0 without the public key).
    pub checkpoints: u64,
    /// The highest checkpointed seq.
    pub last_checkpoint: u64,
}

/// Keys for verification; each is optional.
#[derive(Debug, Clone, Default)]
pub struct VerifyKeys {
    /// The MAC key (only the host has it).
    pub mac: Option<Vec<u8>>,
    /// The checkpoint public key (anyone may have it).
    pub checkpoint: Option<ed25519_dalek::VerifyingKey>,
}

/// Verify the chain in `log` and the checkpoints in `checkpoints`, calling
/// `progress(bytes_done, bytes_total)` now and then.
///
/// # Errors
///
/// The first [`ChainFault`].
pub fn verify_chain(
    log: &Path,
    checkpoints: &Path,
    keys: &VerifyKeys,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ChainSummary, ChainFault> {
    let cps = match &keys.checkpoint {
        Some(pk) => read_checkpoints(checkpoints, pk)?,
        None => Vec::new(),
    };
    let mut wanted: std::collections::HashMap<u64, &str> = std::collections::HashMap::new();
    for (seq, head) in &cps {
        wanted.insert(*seq, head.as_str());
    }
    let file =
        std::fs::File::open(log).map_err(|e| ChainFault::Io(format!("{}: {e}", log.display())))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = BufReader::new(file);
    let mut summary = ChainSummary::default();
    let mut prev = GENESIS.to_owned();
    let (mut line_no, mut done) = (0u64, 0u64);
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| ChainFault::Io(e.to_string()))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        done += n as u64;
        if line_no % 5000 == 0 {
            progress(done, total);
        }
        let r: Record = serde_json::from_str(line.trim_end_matches('\n')).map_err(|e| {
            ChainFault::Unreadable {
                line: line_no,
                why: e.to_string(),
            }
        })?;
        let expected = summary.records + 1;
        if r.seq > expected {
            // A gap: the expected record is either later in the file
            // (reordered) or gone (deleted).
            let later = (&mut reader)
                .lines()
                .map_while(Result::ok)
                .any(|l| serde_json::from_str::<Record>(&l).is_ok_and(|x| x.seq == expected));
            if later {
                return Err(ChainFault::Reordered {
                    seq: r.seq,
                    line: line_no,
                    expected,
                });
            }
            return Err(ChainFault::Missing {
                seq: r.seq,
                line: line_no,
                expected,
            });
        }
        if r.seq < expected {
            return Err(ChainFault::Reordered {
                seq: r.seq,
                line: line_no,
                expected,
            });
        }
        if r.compute_hash() != r.hash {
            return Err(ChainFault::Edited {
                seq: r.seq,
                line: line_no,
            });
        }
        if r.prev != prev {
            return Err(ChainFault::BrokenLink {
                seq: r.seq,
                line: line_no,
            });
        }
        if let Some(k) = &keys.mac {
            if r.compute_mac(k) != r.mac {
                return Err(ChainFault::BadMac {
                    seq: r.seq,
                    line: line_no,
                });
            }
            summary.macs_checked += 1;
        }
        if let Some(head) = wanted.get(&r.seq)
            && *head != r.hash
        {
            return Err(ChainFault::CheckpointMismatch { checkpoint: r.seq });
        }
        prev = r.hash;
        summary.records += 1;
    }
    progress(total, total);
    for (seq, _) in &cps {
        if *seq > summary.records {
            return Err(ChainFault::Truncated {
                checkpoint: *seq,
                last: summary.records,
            });
        }
        summary.checkpoints += 1;
        summary.last_checkpoint = summary.last_checkpoint.max(*seq);
    }
    Ok(summary)
}

/// Read and check the signature of every checkpoint: (seq, head hash).
fn read_checkpoints(
    path: &Path,
    pk: &ed25519_dalek::VerifyingKey,
) -> Result<Vec<(u64, String)>, ChainFault> {
    let Ok(f) = std::fs::File::open(path) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (i, l) in BufReader::new(f).lines().enumerate() {
        let l = l.map_err(|e| ChainFault::Io(e.to_string()))?;
        let cp_line = i as u64 + 1;
        let v: Value =
            serde_json::from_str(&l).map_err(|_| ChainFault::BadCheckpoint { line: cp_line })?;
        let (Some(seq), Some(head), Some(time), Some(sig)) = (
            v["seq"].as_u64(),
            v["head"].as_str(),
            v["time"].as_str(),
            v["sig"].as_str(),
        ) else {
            return Err(ChainFault::BadCheckpoint { line: cp_line });
        };
        let body = json!({"seq": seq, "head": head, "time": time});
        let sig = B64
            .decode(sig)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok())
            .ok_or(ChainFault::BadCheckpoint { line: cp_line })?;
        pk.verify_strict(
            &signed_bytes(Purpose::AuditCheckpoint, &to_canonical(&body)),
            &ed25519_dalek::Signature::from_bytes(&sig),
        )
        .map_err(|_| ChainFault::BadCheckpoint { line: cp_line })?;
        if seq > 0 {
            out.push((seq, head.to_owned()));
        }
    }
    Ok(out)
}
