//! `audit verify` from where the last verification ended: the host's
//! signed mark (`verified.json`, [`crate::audit::mark`]) says which records
//! were verified and the verifier's state after them; only the records
//! appended since are read, with every check of a full verification, plus
//! the seal that binds them to the past (the record the mark ends at is
//! still there, unchanged) and the checkpoints added since. A verification
//! that holds, made with the MAC key and the checkpoint signing key, leaves
//! a new mark.
//!
//! What this does not do: read again the records the mark covers. An edit
//! to one of them that keeps every byte offset is found only by a full
//! verification (`full`), which reads every record — and still checks
//! that the chain holds the record the mark ends at.

use std::path::Path;

use cap_std::fs::Dir;
use chrono::{SecondsFormat, Utc};

use crate::audit::fault::ChainFault;
use crate::audit::mark::{
    Counts, MARK_VERSION, MarkBody, VerifiedMark, WitnessSeen, mac_key_id, read_mark,
    witness_keys_id, write_mark,
};
use crate::audit::verify_run::{Begin, Ran, run};
use crate::audit::{ChainSummary, VerifyKeys, VerifyOptions};

/// How an incremental verification goes.
#[derive(Debug, Clone, Default)]
pub struct MarkOptions {
    /// Verify every record rather than going on from the mark (the mark
    /// is still read: the chain must hold the record it ends at).
    pub full: bool,
    /// The host's checkpoint signing key: with it and the MAC key, a
    /// verification that holds leaves a mark for the next one.
    pub signer: Option<ed25519_dalek::SigningKey>,
}

/// Where a verification started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// At the chain's first record; `why` the mark was not gone on from,
    /// when there was one.
    First {
        /// Why not from the mark.
        why: Option<String>,
    },
    /// After the records a verified mark covers.
    Mark {
        /// The records it covers (1..=records).
        records: u64,
        /// When they were verified.
        time: String,
        /// The operator signatures among them that verified.
        signed: u64,
    },
}

/// Whether a mark was left for the next verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marked {
    /// A new mark, at the chain's end.
    Written,
    /// The mark there already ends where this verification did.
    Unchanged,
    /// No mark, and why.
    Not(String),
}

/// An incremental verification that held.
#[derive(Debug, Clone)]
pub struct Verification {
    /// What it covered: the records of the mark and those verified now
    /// (the operator signatures listed are those verified now).
    pub summary: ChainSummary,
    /// Where it started.
    pub start: Start,
    /// Whether it left a mark.
    pub marked: Marked,
}

impl Verification {
    /// Records read and verified by this verification.
    pub fn verified_now(&self) -> u64 {
        match &self.start {
            Start::First { .. } => self.summary.records,
            Start::Mark { records, .. } => self.summary.records - records,
        }
    }

    /// Operator signatures verified: under the mark and now.
    pub fn signatures(&self) -> u64 {
        self.summary.signed.len() as u64
            + match &self.start {
                Start::Mark { signed, .. } => *signed,
                Start::First { .. } => 0,
            }
    }
}

/// Verify the chain in `log` from the host's verified mark beside it (see
/// the module's documentation), or from its first record when there is no
/// usable mark or `how.full`; then leave a mark where it ended.
///
/// # Ambient Authority
///
/// Opens the log's directory, where the mark is read and written.
///
/// # Errors
///
/// The first [`ChainFault`] — among them the log ending before the mark,
/// or holding another record where the mark ends.
pub fn verify_incremental(
    log: &Path,
    checkpoints: &Path,
    keys: &VerifyKeys,
    opts: &VerifyOptions,
    how: &MarkOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Verification, ChainFault> {
    let name = log
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parent = log
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = Dir::open_ambient_dir(parent, cap_std::ambient_authority())
        .map_err(|e| ChainFault::Io(format!("{}: {e}", parent.display())))?;
    let (mark, refused) = match &keys.checkpoint {
        None => (None, None),
        Some(pk) => match read_mark(&dir, pk) {
            Ok(Some(m)) if m.0.log == name => (Some(m), None),
            Ok(Some(m)) => (None, Some(format!("it is of another log ({})", m.0.log))),
            Ok(None) => (None, None),
            Err(why) => (None, Some(why)),
        },
    };
    let body = mark.as_ref().map(|m: &VerifiedMark| &m.0);
    let not_used = |why: String| Start::First {
        why: Some(format!("the verified mark was not used: {why}")),
    };
    let from_start = |b: Option<&MarkBody>, progress: &mut dyn FnMut(u64, u64)| {
        match run(
            log,
            checkpoints,
            keys,
            opts,
            progress,
            true,
            Begin::Start(b),
        )? {
            Ok(ran) => Ok(ran),
            // Only going on from a mark can be impossible.
            Err(why) => Err(ChainFault::Io(why)),
        }
    };
    let unusable = body.and_then(|b| b.unusable(keys, opts));
    let (ran, start) = match body {
        Some(b) if !how.full && unusable.is_none() => {
            match run(log, checkpoints, keys, opts, progress, true, Begin::Mark(b))? {
                Ok(ran) => {
                    let start = Start::Mark {
                        records: b.seq,
                        time: b.time.clone(),
                        signed: b.counts.signed,
                    };
                    (ran, start)
                }
                Err(why) => (from_start(Some(b), progress)?, not_used(why)),
            }
        }
        _ => {
            let start = match (how.full, unusable.or(refused)) {
                (false, Some(why)) => not_used(why),
                _ => Start::First { why: None },
            };
            (from_start(body, progress)?, start)
        }
    };
    let signed_before = match &start {
        Start::Mark { signed, .. } => *signed,
        Start::First { .. } => 0,
    };
    let marked = mark_end(&dir, &ran, &name, keys, opts, how, body, signed_before);
    Ok(Verification {
        summary: ran.walk.summary,
        start,
        marked,
    })
}

/// Leave a mark where `ran` ended, when this verification may.
#[allow(clippy::too_many_arguments)]
fn mark_end(
    dir: &Dir,
    ran: &Ran<'_>,
    name: &str,
    keys: &VerifyKeys,
    opts: &VerifyOptions,
    how: &MarkOptions,
    old: Option<&MarkBody>,
    signed_before: u64,
) -> Marked {
    let Some(signer) = &how.signer else {
        return Marked::Not("the checkpoint signing key is not available".into());
    };
    let Some(mac) = &keys.mac else {
        return Marked::Not("the MAC key is not available".into());
    };
    if keys.checkpoint != Some(signer.verifying_key()) {
        return Marked::Not("the checkpoint key given is not the host's".into());
    }
    if !ran.whole {
        return Marked::Not("the log's last line is not complete".into());
    }
    let w = &ran.walk;
    let s = &w.summary;
    let body = MarkBody {
        v: MARK_VERSION,
        log: name.to_owned(),
        seq: s.records,
        head: w.prev.clone(),
        offset: w.offset,
        newest: w.newest,
        frontier: w.notes.frontier().subtrees(),
        applied: w.applied.clone(),
        open_calls: s.open_calls.clone(),
        counts: Counts {
            macs: s.macs_checked,
            by_stored_bytes: s.by_stored_bytes,
            signed: signed_before + s.signed.len() as u64,
            legacy_unsigned: s.legacy_unsigned,
            unchecked: s.unchecked,
        },
        notes: w.notes.seen(),
        checkpoints: ran.own.seen.clone(),
        witness: opts.witness.as_ref().map(|p| WitnessSeen {
            path: p.display().to_string(),
            seen: ran.copy.seen.clone(),
        }),
        mac_key: mac_key_id(mac),
        witness_keys: witness_keys_id(keys),
        time: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
    };
    if old.is_some_and(|o| o.same_as(&body)) {
        return Marked::Unchanged;
    }
    match write_mark(dir, body, signer) {
        Ok(()) => Marked::Written,
        Err(why) => Marked::Not(why),
    }
}
