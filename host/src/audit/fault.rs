//! What `audit verify` reports when the chain does not hold.

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
    #[error("{file} line {line}: bad signature — forged or edited checkpoint")]
    BadCheckpoint {
        /// The checkpoints file (the chain's own, or the witness).
        file: String,
        /// Line in that file.
        line: u64,
    },
    /// The witness holds a checkpoint the log does not reach or disagrees
    /// with: the chain was truncated, or its history forked.
    #[error("the witness {witness} has a checkpoint at seq {checkpoint} that the log {why}")]
    Witness {
        /// The witness file.
        witness: String,
        /// The checkpoint's seq.
        checkpoint: u64,
        /// `does not reach (it ends at seq N): truncated` or `contradicts: forked`.
        why: String,
    },
    /// Two validly signed checkpoints name different heads for the same
    /// seq: the chain forked and both forks were checkpointed (a split
    /// view). Whichever fork is verified, the history is not one.
    #[error(
        "{file} holds two different signed heads for seq {seq}: a split view — the chain was forked and both forks checkpointed"
    )]
    SplitView {
        /// The checkpoints file (the witness, or the chain's own).
        file: String,
        /// The seq with two heads.
        seq: u64,
    },
    /// Asked to require it, and the chain's end is not covered by a
    /// checkpoint.
    #[error("the last {uncovered} record(s) (up to seq {last}) are not covered by a signed checkpoint{}; their truncation could not be detected", if *last_checkpoint == 0 { String::new() } else { format!(" (the last checkpoint is at seq {last_checkpoint})") })]
    Uncovered {
        /// Records after the last checkpoint.
        uncovered: u64,
        /// The last seq.
        last: u64,
        /// The last checkpointed seq (0: none).
        last_checkpoint: u64,
    },
    /// A record of an operator's action whose operator signature does not
    /// hold: forged, even if its MAC verifies.
    #[error("record {seq} (line {line}): {kind} without a valid operator signature — {why}")]
    Unsigned {
        /// Sequence number.
        seq: u64,
        /// Line number.
        line: u64,
        /// The record's kind.
        kind: String,
        /// What is wrong.
        why: String,
    },
    /// A release of the rules in the chain does not hold: its archived
    /// document, its place after the one before, or its signatures.
    #[error("record {seq} (line {line}): release {version} of the rules does not hold — {why}")]
    Release {
        /// Sequence number.
        seq: u64,
        /// Line number.
        line: u64,
        /// The release's version.
        version: u64,
        /// What is wrong.
        why: String,
    },
    /// A checkpoint's signed note does not hold: not signed by the host's
    /// checkpoint key, a witness's cosignature that does not verify, or a
    /// tree root the chain's records do not make.
    #[error("{file}: the checkpoint note at seq {seq} does not hold — {why}")]
    BadNote {
        /// The checkpoints file.
        file: String,
        /// The checkpoint's size.
        seq: u64,
        /// What is wrong.
        why: String,
    },
    /// Fewer witnesses cosigned the newest checkpoint than required.
    #[error("the newest witnessed checkpoint (seq {seq}) has {have} of the {need} witness cosignature(s) required{}", if names.is_empty() { String::new() } else { format!(" ({})", names.join(", ")) })]
    Unwitnessed {
        /// The checkpoint's size.
        seq: u64,
        /// Cosignatures found.
        have: usize,
        /// Cosignatures required.
        need: usize,
        /// The witnesses that cosigned.
        names: Vec<String>,
    },
    /// A record names a release of the rules that was not in force when
    /// it was written: one this chain never applied, or one replaced more
    /// than a minute before.
    #[error("record {seq} (line {line}): {kind} was not made under the rules in force — {why}")]
    NotInForce {
        /// Sequence number.
        seq: u64,
        /// Line number.
        line: u64,
        /// The record's kind.
        kind: String,
        /// What is wrong.
        why: String,
    },
    /// A record in an older format after one in a newer: written to avoid
    /// a newer format's checks.
    #[error(
        "record {seq} (line {line}): format {v} after format {newest} — records never go back to an older format"
    )]
    Downgraded {
        /// Sequence number.
        seq: u64,
        /// Line number.
        line: u64,
        /// Its format.
        v: u32,
        /// The newest format before it.
        newest: u32,
    },
    /// The chain contradicts the host's signed mark of what it verified
    /// before: the record at the mark's seq is another record now.
    #[error(
        "record {seq} (line {line}): not the record verified at that seq before (the host's signed verified mark names another hash) — history was rewritten after it was verified"
    )]
    MarkContradicted {
        /// Sequence number.
        seq: u64,
        /// Line number.
        line: u64,
    },
    /// The log ends before the records the host's signed mark says were
    /// verified.
    #[error(
        "truncated below the verified mark: records 1..{seq} ({offset} bytes) were verified on {time}, but the log {now}"
    )]
    BelowMark {
        /// The mark's last seq.
        seq: u64,
        /// The byte offset the mark ends at.
        offset: u64,
        /// When the mark was made.
        time: String,
        /// What the log holds now.
        now: String,
    },
    /// The files could not be read.
    #[error("cannot read {0}")]
    Io(String),
}
