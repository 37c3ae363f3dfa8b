//! Shared state: what several processes (a server and the operator's CLI,
//! or a fleet of hosts) must agree on. It is split by concern, one trait
//! each:
//!
//! - [`Stops`]: the stop buttons (halt, quarantined agents, disabled
//!   plugins, retired and revoked keys, revoked tokens) and the signals
//!   that the state changed;
//! - [`Approvals`]: approval requests and their quorum of decisions;
//! - [`Limits`]: rate windows, budgets and task history, in-flight caps;
//! - [`Freshness`]: plugin version high-water marks, operator nonces, DPoP
//!   proof ids;
//! - [`Releases`]: releases of the rules, proposals, reload requests;
//! - [`Serving`]: token public keys and shared documents;
//! - [`FleetRegistry`]: what the hosts of a fleet publish (PostgreSQL only).
//!
//! [`SharedState`] is their sum, what callers hold. It has two
//! implementations: [`SqliteState`] (an embedded database in the state
//! directory, the default) and [`PostgresState`] (a database shared by a
//! fleet, with change notifications and the fleet registry).
//!
//! Each concern's module holds its algorithms once — what is compared, in
//! which order, what is refused, what is counted — as code generic over a
//! small `pub(crate)` trait of that concern's statements (`LimitsTx`,
//! `ApprovalsTx`, …) and [`tx::Tx`] (a lock on a key, the commit). A
//! backend implements only those statements in its SQL, and how a
//! transaction begins: SQLite `BEGIN IMMEDIATE` on the right connection
//! (its write lock serialises, so locks are no-ops; an algorithm runs to
//! its end without suspending, under the connection's mutex), PostgreSQL a
//! transaction with advisory locks taken in sorted key order. Counts
//! (rate windows, uses, slots) commit with relaxed durability (SQLite's
//! connection that does not fsync, PostgreSQL's `synchronous_commit`
//! off); everything else is durable. Single statements with no decision in
//! them (a plain read, one insert) stay per backend.

mod approvals;
mod bounded;
mod fleet;
mod freshness;
mod leased;
mod leases;
mod limits;
mod postgres;
mod releases;
mod serving;
mod sqlite;
mod stops;
mod tx;
mod types;

use std::path::PathBuf;

pub use approvals::Approvals;
pub(crate) use bounded::Bounded;
pub use fleet::{FleetHost, FleetRegistry, IndexedRecord, PublishedCheckpoint};
pub use freshness::Freshness;
pub use limits::Limits;
pub use postgres::{PostgresConfig, PostgresState};
pub use releases::Releases;
pub use serving::{PublishedKey, Serving, doc};
pub use sqlite::SqliteState;
pub use stops::Stops;
pub use types::{
    Approval, ApprovalBinding, ApprovalStatus, CallUse, Decided, LimitHit, NewApproval, Proposal,
    RateRule, StopState, StopTarget, Stopped, StoredRelease, TaskHistory, Usage, UsageScope,
    UseHit, UseLimit, VersionMark,
};

/// Why the shared state failed. Callers fail closed on it.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The database reported an error.
    #[error("state database {path}: {why}")]
    Db {
        /// The database (a path, or a URL without its password).
        path: PathBuf,
        /// The error.
        why: String,
    },
}

/// Refuse a database at schema step `newest` when this binary knows only
/// `known` steps: a newer warrant wrote it, and an older one does not know
/// what the newer one writes there (e.g. budget rows reserved ahead that
/// are not yet a task's history).
fn newer_schema(newest: i64, known: usize) -> Result<(), String> {
    if newest > known as i64 {
        return Err(format!(
            "its schema is at step {newest}, newer than this warrant {} knows (step {known}): run a warrant at least as new as the one that upgraded it, or restore the backup taken before that upgrade",
            env!("CARGO_PKG_VERSION")
        ));
    }
    Ok(())
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The state several processes share: every concern's trait. Every method
/// is one transaction.
pub trait SharedState:
    Stops + Approvals + Limits + Freshness + Releases + Serving + Send + Sync + std::fmt::Debug
{
    /// The fleet registry, when this state is shared by a fleet.
    fn fleet(&self) -> Option<&dyn FleetRegistry> {
        None
    }
}
