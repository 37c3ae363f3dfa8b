//! Shared state: what several processes (a server and the operator's CLI,
//! or a fleet of hosts) must agree on — the stop buttons (halt, quarantined
//! agents, disabled plugins, revoked tokens), approvals, plugin version
//! high-water marks, rate windows, reload requests.
//!
//! It is one trait, [`SharedState`], with two implementations:
//! [`SqliteState`] (an embedded database in the state directory, the
//! default) and [`PostgresState`] (a database shared by a fleet, with
//! change notifications and the fleet registry, [`FleetRegistry`]).

mod bounded;
mod fleet;
mod postgres;
mod serving;
mod sqlite;
mod types;

use std::path::PathBuf;

pub(crate) use bounded::Bounded;
pub use fleet::{FleetHost, FleetRegistry, IndexedRecord, PublishedCheckpoint};
pub use postgres::{PostgresConfig, PostgresState};
pub use serving::{PublishedKey, doc};
pub use sqlite::SqliteState;
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

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The state several processes share. Every method is one transaction.
#[async_trait::async_trait]
pub trait SharedState: Send + Sync + std::fmt::Debug {
    /// A number that changes whenever the shared state may have changed
    /// (by this process or another); equal numbers mean nothing changed.
    async fn change_marker(&self) -> Result<u64, StateError>;

    /// How many stop buttons and revocations this process has pressed
    /// through this handle: an in-memory counter (no query), so that a
    /// process sees its own stops at once while other processes' changes
    /// reach it through the watcher.
    fn local_changes(&self) -> u64;

    /// What is stopped now.
    async fn stop_state(&self) -> Result<StopState, StateError>;

    /// Press (`on`) or release a stop button; whether anything changed.
    async fn set_stop(
        &self,
        target: &StopTarget,
        on: bool,
        by: &str,
        reason: &str,
    ) -> Result<bool, StateError>;

    /// Revoke a task token by id; false if it was revoked already.
    async fn revoke_token(
        &self,
        token_id: &str,
        by: &str,
        reason: &str,
    ) -> Result<bool, StateError>;

    /// The highest version of `plugin` loaded before, with its digests.
    async fn highest_version(&self, plugin: &str) -> Result<Option<VersionMark>, StateError>;

    /// Record that `plugin` was loaded as `mark`, if it is higher than the
    /// mark so far (or the first).
    async fn record_version(&self, plugin: &str, mark: &VersionMark) -> Result<(), StateError>;

    /// Forget a plugin's high-water mark (an operator's correction);
    /// returns the mark that was removed.
    async fn reset_version(&self, plugin: &str) -> Result<Option<VersionMark>, StateError>;

    /// Store a new pending approval request.
    async fn request_approval(&self, new: &NewApproval) -> Result<Approval, StateError>;

    /// One request by id.
    async fn approval(&self, id: &str) -> Result<Option<Approval>, StateError>;

    /// The newest open (pending, or approved and unused; unexpired) request
    /// for exactly this call.
    async fn open_approval_for(
        &self,
        binding: &ApprovalBinding,
    ) -> Result<Option<Approval>, StateError>;

    /// One operator's decision on a pending, unexpired request: a denial
    /// decides it; approvals are counted per distinct operator until the
    /// request has as many as it requires.
    async fn decide_approval(
        &self,
        id: &str,
        approve: bool,
        by: &str,
        reason: &str,
    ) -> Result<Decided, StateError>;

    /// Use an approved request, once; false when it is not (or no longer)
    /// usable.
    async fn consume_approval(&self, id: &str) -> Result<bool, StateError>;

    /// Requests, newest first; only open ones unless `all`.
    async fn list_approvals(&self, all: bool) -> Result<Vec<Approval>, StateError>;

    /// Count a call against every rule, or refuse naming the first limit
    /// that is full (and count nothing). Windows are shared by every
    /// process on this state.
    async fn admit(
        &self,
        rules: &[RateRule],
        now_ms: i64,
    ) -> Result<Result<(), LimitHit>, StateError>;

    /// Use an operator action's nonce, once: false when it was seen before.
    /// Nonces are kept until `expires_ms`.
    async fn use_nonce(
        &self,
        nonce: &str,
        operator: &str,
        expires_ms: i64,
    ) -> Result<bool, StateError>;

    /// Use a DPoP proof's `jti` (RFC 9449 §11.1), once across every host on
    /// this state: false when the proof was seen before. Kept until
    /// `expires_ms`, past which its `iat` is refused anyway.
    async fn use_dpop_jti(
        &self,
        jkt: &str,
        jti: &str,
        expires_ms: i64,
    ) -> Result<bool, StateError> {
        self.use_nonce(&format!("dpop:{jkt}:{jti}"), "dpop", expires_ms)
            .await
    }

    /// Count a call that starts running (task history, budgets) unless one
    /// of `limits` is reached — checked and counted in one transaction, so
    /// that concurrent calls in any number of processes never take more
    /// than a budget holds; the call's id for [`SharedState::finish_use`],
    /// or the limit it would go over (and nothing is counted).
    async fn record_use(
        &self,
        u: &CallUse,
        limits: &[UseLimit],
    ) -> Result<Result<i64, UseHit>, StateError>;

    /// Its outcome: whether it succeeded and the bytes it returned.
    async fn finish_use(&self, id: i64, ok: bool, output: u64) -> Result<(), StateError>;

    /// What already ran in `task`.
    async fn task_history(&self, task: &str) -> Result<TaskHistory, StateError>;

    /// The calls of `scope` since `since_ms`.
    async fn usage(&self, scope: &UsageScope, since_ms: i64) -> Result<Usage, StateError>;

    /// Ask every host on this state to reload its config and trust.
    async fn request_reload(&self, by: &str) -> Result<u64, StateError>;

    /// The reload generation (it grows with every reload request) and who
    /// asked for the last one.
    async fn reload_request(&self) -> Result<(u64, Option<String>), StateError>;

    /// The release of the rules in force: the highest version stored.
    async fn release_in_force(&self) -> Result<Option<StoredRelease>, StateError>;

    /// The release of one version.
    async fn release(&self, version: u64) -> Result<Option<StoredRelease>, StateError>;

    /// Store `r` as the release in force, with the content of its files
    /// (by digest) — only if its version is one more than the release in
    /// force (or 1 when there is none): false when another release took
    /// that place first. Every host on the state reloads.
    async fn put_release(
        &self,
        r: &StoredRelease,
        files: &[(String, Vec<u8>)],
    ) -> Result<bool, StateError>;

    /// The content of a file a release names, by digest.
    async fn release_file(&self, digest: &str) -> Result<Option<Vec<u8>>, StateError>;

    /// Add a governor's signature (JSON) to the proposal `digest` (storing
    /// `doc` when it is new); every signature gathered so far.
    async fn propose(
        &self,
        digest: &str,
        doc: &[u8],
        signature: &str,
    ) -> Result<Vec<String>, StateError>;

    /// The proposals and their signatures, newest first.
    async fn proposals(&self) -> Result<Vec<Proposal>, StateError>;

    /// The fleet registry, when this state is shared by a fleet.
    fn fleet(&self) -> Option<&dyn FleetRegistry> {
        None
    }

    /// How long the shared state has been silent — its connections open
    /// but no heartbeat answered — when it is: then nothing it would say
    /// about stops can be heard, and the host treats it as unreachable.
    fn silence(&self) -> Option<std::time::Duration> {
        None
    }

    /// Whether concurrency caps are counted here, across the fleet (else
    /// each process counts its own).
    fn shares_slots(&self) -> bool {
        false
    }

    /// Take one in-flight slot under each `(key, max)` until `expires_ms`
    /// (a lease a crashed host cannot keep), for `owner` (the host process
    /// taking it), or refuse naming the first cap that is full; the lease
    /// id.
    async fn enter_slots(
        &self,
        _slots: &[(String, u32)],
        _expires_ms: i64,
        _owner: &str,
    ) -> Result<Result<i64, (String, u32)>, StateError> {
        Ok(Ok(0))
    }

    /// Give a lease's slots back.
    async fn leave_slots(&self, _lease: i64) -> Result<(), StateError> {
        Ok(())
    }

    /// Give back every slot `owner` holds (a process that died without
    /// giving them back); how many.
    async fn leave_slots_of(&self, _owner: &str) -> Result<u64, StateError> {
        Ok(0)
    }

    /// Publish a host's token public key (kept if published before).
    async fn publish_token_key(&self, key: &PublishedKey) -> Result<(), StateError>;

    /// One published token key, by key id.
    async fn token_key(&self, kid: &str) -> Result<Option<PublishedKey>, StateError>;

    /// Every published token key.
    async fn token_keys(&self) -> Result<Vec<PublishedKey>, StateError>;

    /// Store a shared document (replacing one of the same kind and id),
    /// kept until `expires_ms`.
    async fn put_doc(
        &self,
        kind: &str,
        id: &str,
        body: &str,
        expires_ms: i64,
    ) -> Result<(), StateError>;

    /// A shared document, unless it expired.
    async fn doc(&self, kind: &str, id: &str) -> Result<Option<String>, StateError>;

    /// Remove a shared document and return it (unless it expired): once,
    /// across every host.
    async fn take_doc(&self, kind: &str, id: &str) -> Result<Option<String>, StateError>;
}
