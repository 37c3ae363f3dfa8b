//! Verifying the chain: every hash and link, every MAC when the key is
//! available, every checkpoint's signature — from the chain's own
//! checkpoints file and from a witness copy kept elsewhere — truncation
//! after a checkpoint, a forked history, and how much of the chain's end no
//! checkpoint covers.

use std::path::{Path, PathBuf};

pub use crate::audit::fault::ChainFault;
use crate::audit::signatures::SignedRecord;
use crate::audit::verify_run::{Begin, run};
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
    /// Threads reading records (parsing, hashing, checking MACs) while
    /// one walks them in order: 0 for one per core. A walk of less than
    /// 16 MiB is made by one thread.
    pub threads: usize,
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
    match run(
        log,
        checkpoints,
        keys,
        opts,
        progress,
        fast,
        Begin::Start(None),
    )? {
        Ok(ran) => Ok(ran.walk.summary),
        // Only going on from a mark can be impossible.
        Err(why) => Err(ChainFault::Io(why)),
    }
}
