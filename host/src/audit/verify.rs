//! Verifying the chain: every hash and link, every MAC when the key is
//! available, every checkpoint's signature — from the chain's own
//! checkpoints file and from a witness copy kept elsewhere — truncation
//! after a checkpoint, a forked history, and how much of the chain's end no
//! checkpoint covers.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

pub use crate::audit::fault::ChainFault;
use crate::audit::record::{GENESIS, Record};
use crate::audit::rules_check::RulesSeen;
use crate::audit::signatures::{Checked, SignedRecord};
use crate::audit::tlog::check::NoteCheck;
use crate::audit::verify_checkpoints::{checked, heads, split_view};
use crate::audit::verify_line::{LineReader, Parsed};
use crate::config::Operator;

/// What a successful verification covered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainSummary {
    /// Records checked.
    pub records: u64,
    /// Records whose stored bytes reproduced their hash (the fast path);
    /// the others were judged by the definition.
    pub by_stored_bytes: u64,
    /// MACs checked (0 without the key).
    pub macs_checked: u64,
    /// Checkpoints checked (0 without the public key).
    pub checkpoints: u64,
    /// The highest checkpointed seq.
    pub last_checkpoint: u64,
    /// Checkpoints checked from the witness.
    pub witness_checkpoints: u64,
    /// Records after the last checkpoint: their truncation would not be
    /// noticed.
    pub uncovered: u64,
    /// Every operator signature that verified, with the key that signed.
    pub signed: Vec<SignedRecord>,
    /// Operator records from before format 3, which carry no signature.
    pub legacy_unsigned: u64,
    /// Operator records not checked: no operators were given.
    pub unchecked: u64,
    /// Calls decided without an outcome: still running, or interrupted by
    /// a crash their host has not recovered from yet (the next start of
    /// that host records them as `call.interrupted`).
    pub open_calls: Vec<String>,
    /// The releases of the rules the chain applied, each verified.
    pub releases: Vec<crate::audit::VerifiedRelease>,
    /// Checkpoint notes checked against the chain's Merkle tree.
    pub notes: u64,
    /// Each witness whose cosignature verified, with the largest size it
    /// cosigned.
    pub cosigned: std::collections::BTreeMap<String, u64>,
}

/// Keys for verification; each is optional.
#[derive(Debug, Clone, Default)]
pub struct VerifyKeys {
    /// The MAC key (only the host has it).
    pub mac: Option<Vec<u8>>,
    /// The checkpoint public key (anyone may have it).
    pub checkpoint: Option<ed25519_dalek::VerifyingKey>,
    /// The operators and their public keys (from the host config), to
    /// check every operator signature.
    pub operators: Option<Vec<Operator>>,
    /// The agents (from the host config): a token issued for an agent's
    /// whole grant must carry exactly that grant.
    pub agents: Option<Vec<crate::config::Agent>>,
    /// The governors the chain's first release of the rules must be signed
    /// by (an auditor's own anchor); without them, its own governors.
    pub governors: Option<crate::config::Governance>,
    /// The witnesses whose cosignatures count.
    pub witnesses: Vec<crate::audit::tlog::WitnessKey>,
}

/// What else to check.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// A witness copy of the checkpoints, kept elsewhere.
    pub witness: Option<PathBuf>,
    /// Fail when the chain's end is not covered by a checkpoint.
    pub require_checkpoint: bool,
    /// Fail unless the newest checkpoint note is cosigned by this many of
    /// the witnesses given.
    pub require_witnesses: usize,
}

/// Verify the chain in `log` and the checkpoints in `checkpoints`, calling
/// `progress(bytes_done, bytes_total)` now and then.
///
/// Each record's stored `data` is hashed as it is first; a record whose
/// stored bytes do not reproduce its hash is judged by the definition
/// ([`Record::compute_hash`]), so the faults are those the definition finds.
///
/// # Errors
///
/// The first [`ChainFault`].
pub fn verify_chain(
    log: &Path,
    checkpoints: &Path,
    keys: &VerifyKeys,
    opts: &VerifyOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ChainSummary, ChainFault> {
    verify(log, checkpoints, keys, opts, progress, true)
}

/// [`verify_chain`] by the definition alone: every record parsed to a
/// [`Record`] and its hash recomputed from the canonical form of its data
/// (the verifier before the fast path; for comparison and tests).
///
/// # Errors
///
/// The first [`ChainFault`].
pub fn verify_chain_by_definition(
    log: &Path,
    checkpoints: &Path,
    keys: &VerifyKeys,
    opts: &VerifyOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ChainSummary, ChainFault> {
    verify(log, checkpoints, keys, opts, progress, false)
}

fn verify(
    log: &Path,
    checkpoints: &Path,
    keys: &VerifyKeys,
    opts: &VerifyOptions,
    progress: &mut dyn FnMut(u64, u64),
    fast: bool,
) -> Result<ChainSummary, ChainFault> {
    let mut notes = NoteCheck::new(keys.checkpoint, &keys.witnesses);
    let (cps, witness) = match &keys.checkpoint {
        Some(pk) => {
            let own = checked(checkpoints, pk)?;
            notes.add(&checkpoints.display().to_string(), &own);
            let copy = match &opts.witness {
                Some(w) => checked(w, pk)?,
                None => Vec::new(),
            };
            if let Some(w) = &opts.witness {
                notes.add(&w.display().to_string(), &copy);
            }
            (heads(own), heads(copy))
        }
        None => (Vec::new(), Vec::new()),
    };
    // Two validly signed heads for one seq: the chain forked and both
    // forks checkpointed. Whichever fork is being verified, that is the
    // split view a witness exists to expose.
    if let Some(seq) = split_view(&witness) {
        return Err(ChainFault::SplitView {
            file: opts
                .witness
                .as_ref()
                .map(|w| w.display().to_string())
                .unwrap_or_default(),
            seq,
        });
    }
    if let Some(seq) = split_view(&cps) {
        return Err(ChainFault::SplitView {
            file: checkpoints.display().to_string(),
            seq,
        });
    }
    let mut wanted: std::collections::HashMap<u64, &str> = std::collections::HashMap::new();
    for (seq, head) in &cps {
        wanted.insert(*seq, head.as_str());
    }
    let mut witnessed: std::collections::HashMap<u64, &str> = std::collections::HashMap::new();
    for (seq, head) in &witness {
        witnessed.insert(*seq, head.as_str());
    }
    let witness_name = opts
        .witness
        .as_ref()
        .map(|w| w.display().to_string())
        .unwrap_or_default();
    let file = crate::audit::ChainFile::open(log)
        .map_err(|e| ChainFault::Io(format!("{}: {e}", log.display())))?;
    let total = file.len();
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut summary = ChainSummary::default();
    let mut prev = GENESIS.to_owned();
    let mut newest = 0u32;
    let mut open_calls = std::collections::BTreeSet::new();
    let mut rules = RulesSeen::new(log, keys.governors.clone());
    let mut current = rules.current();
    let mut lines = LineReader::new(fast, keys.mac.as_deref());
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
        let r = lines.read(line.trim_end_matches('\n'), line_no)?;
        let seq = r.seq();
        let expected = summary.records + 1;
        if seq > expected {
            // A gap: the expected record is either later in the file
            // (reordered) or gone (deleted).
            let later = (&mut reader)
                .lines()
                .map_while(Result::ok)
                .any(|l| serde_json::from_str::<Record>(&l).is_ok_and(|x| x.seq == expected));
            if later {
                return Err(ChainFault::Reordered {
                    seq,
                    line: line_no,
                    expected,
                });
            }
            return Err(ChainFault::Missing {
                seq,
                line: line_no,
                expected,
            });
        }
        if seq < expected {
            return Err(ChainFault::Reordered {
                seq,
                line: line_no,
                expected,
            });
        }
        if !r.hash_holds() {
            return Err(ChainFault::Edited { seq, line: line_no });
        }
        if r.prev() != prev {
            return Err(ChainFault::BrokenLink { seq, line: line_no });
        }
        if let Some(k) = &keys.mac {
            if !lines.mac_holds(k, r.hash(), r.mac()) {
                return Err(ChainFault::BadMac { seq, line: line_no });
            }
            summary.macs_checked += 1;
        }
        if let Some(head) = wanted.get(&seq)
            && *head != r.hash()
        {
            return Err(ChainFault::CheckpointMismatch { checkpoint: seq });
        }
        if let Some(head) = witnessed.get(&seq)
            && *head != r.hash()
        {
            return Err(ChainFault::Witness {
                witness: witness_name,
                checkpoint: seq,
                why:
                    "contradicts (another record has that seq): the history forked or was rewritten"
                        .into(),
            });
        }
        let v = r.v().unwrap_or(1);
        if v < newest {
            return Err(ChainFault::Downgraded {
                seq,
                line: line_no,
                v,
                newest,
            });
        }
        newest = v;
        if matches!(r, Parsed::Fast(_)) {
            summary.by_stored_bytes += 1;
        }
        notes.record(seq, r.hash())?;
        if r.needs_rules(current.as_deref()) {
            let record = r.record(line_no)?;
            let checked = rules.check(&record, line_no, v, keys)?;
            if v >= 7 && record.kind == "config.applied" {
                current = rules.current();
            }
            match checked {
                Ok(Checked::NotOperator) => {}
                Ok(Checked::Legacy) => summary.legacy_unsigned += 1,
                Ok(Checked::Unchecked) => summary.unchecked += 1,
                Ok(Checked::Signed(s)) => summary.signed.push(s),
                Err(why) => {
                    return Err(ChainFault::Unsigned {
                        seq,
                        line: line_no,
                        kind: record.kind.clone(),
                        why,
                    });
                }
            }
        }
        match r.kind() {
            "call.decided" => {
                if let Some(c) = r.call_id() {
                    open_calls.insert(c.to_owned());
                }
            }
            "call" | "call.completed" | "call.interrupted" => {
                if let Some(c) = r.call_id() {
                    open_calls.remove(c);
                }
            }
            _ => {}
        }
        prev.clear();
        prev.push_str(r.hash());
        summary.records += 1;
    }
    summary.open_calls = open_calls.into_iter().collect();
    summary.releases = rules.releases;
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
    for (seq, _) in &witness {
        if *seq > summary.records {
            return Err(ChainFault::Witness {
                witness: witness_name,
                checkpoint: *seq,
                why: format!(
                    "does not reach (it ends at seq {}): records were deleted from its end",
                    summary.records
                ),
            });
        }
        summary.witness_checkpoints += 1;
        summary.last_checkpoint = summary.last_checkpoint.max(*seq);
    }
    summary.uncovered = summary.records - summary.last_checkpoint.min(summary.records);
    summary.notes = notes.checked;
    summary.cosigned = std::mem::take(&mut notes.cosigned);
    if opts.require_witnesses > 0 {
        let (seq, names) = notes.newest.clone().unwrap_or_default();
        if names.len() < opts.require_witnesses {
            return Err(ChainFault::Unwitnessed {
                seq,
                have: names.len(),
                need: opts.require_witnesses,
                names,
            });
        }
    }
    if opts.require_checkpoint && summary.uncovered > 0 {
        return Err(ChainFault::Uncovered {
            uncovered: summary.uncovered,
            last: summary.records,
            last_checkpoint: summary.last_checkpoint,
        });
    }
    Ok(summary)
}
