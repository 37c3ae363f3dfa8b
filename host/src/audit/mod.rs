//! The audit chain: one tamper-evident, attributable record of everything
//! the host decided and did.
//!
//! Append-only JSON lines; each record carries its format version, sequence
//! number, time, host, the previous record's hash, its own hash, and an HMAC
//! under the host's audit key. Signed checkpoints (Ed25519) beside the log —
//! and copied to a witness — let anyone with the public checkpoint key
//! verify integrity and detect truncation without the MAC key. What each
//! record kind holds is [`event`]; the format is documented in
//! `host/docs/audit-format.md`. The audit module knows nothing of wasmtime.

mod archive;
mod chain_file;
mod checkpoint;
mod delegation;
pub mod event;
mod fault;
mod index;
mod keys;
mod mark;
mod ocsf;
mod query;
mod recent;
mod record;
mod rules_check;
mod seal;
mod signatures;
mod tail;
pub mod tally;
mod timeline;
pub mod tlog;
mod verify;
mod verify_checkpoints;
mod verify_hash;
mod verify_incremental;
mod verify_line;
mod verify_par;
mod verify_resume;
mod verify_run;
mod verify_walk;
mod writer;

pub use archive::{ArchiveError, ReleaseArchive};
pub use chain_file::{ChainFile, SEGMENTS_DIR, Segment, segment_name};
pub use checkpoint::{Checkpoint, CheckpointsError, read_checkpoints};
pub use delegation::{DelegationProof, check_delegation};
pub use event::{Event, FORMAT_VERSION};
pub use index::{AuditIndex, INDEX_FILE, IndexError, Query};
pub use keys::{AuditKeys, checkpoint_signer, parse_public_key};
pub use ocsf::{
    CATEGORY_UID, CLASS_UID, OCSF_VERSION, OcsfEvent, REQUIRED as OCSF_REQUIRED, to_ocsf,
};
pub use query::{Filter, read_records};
pub use recent::{Recent, read_recent};
pub use record::{COMMITTED_FROM, GENESIS, REDACTABLE, Record, committed, value_digest};
pub(crate) use rules_check::RulesSeen;
pub use rules_check::{RuleBook, VerifiedRelease};
pub use seal::{Sealing, seal_line};
pub(crate) use signatures::Checked;
pub use signatures::{SignedRecord, is_operator_kind};
pub use tally::{CallKey, CallTotals, Tally};
pub(crate) use timeline::summary as record_summary;
pub use timeline::{timeline, timeline_under};
pub use verify::{
    ChainFault, ChainSummary, VerifyKeys, VerifyOptions, verify_chain, verify_chain_by_definition,
};
pub use verify_incremental::{MarkOptions, Marked, Start, Verification, verify_incremental};
pub use writer::{AuditError, AuditLog, AuditOptions, AuditPaths, Reservation};

#[cfg(test)]
mod segment_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod verify_incremental_tests;
#[cfg(test)]
mod verify_par_tests;
#[cfg(test)]
mod verify_tests;

/// For crash tests only: when the environment's `WARRANT_TEST_CRASH_AT`
/// names this point, the process is killed here with SIGKILL (`kill -9`,
/// sent by `kill(1)`: no destructor runs, nothing more is written or
/// flushed); if that fails, it aborts.
pub(crate) fn fault_point(name: &str) {
    if std::env::var_os("WARRANT_TEST_CRASH_AT").is_some_and(|v| v == name) {
        let _ = std::process::Command::new("kill")
            .args(["-9", &std::process::id().to_string()])
            .status();
        std::process::abort();
    }
}
