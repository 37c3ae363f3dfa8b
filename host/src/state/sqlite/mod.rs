//! The embedded backend: SQLite in the state directory. A CLI and a server
//! use it at once: WAL mode, a busy timeout, every change one transaction.
//! A server notices another process's change by `PRAGMA data_version`
//! (its watcher asks), and its own at once (an in-memory counter).

mod approvals;
mod releases;
mod schema;
mod serving;
mod stops;
mod uses;
mod versions;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use rusqlite::{Connection, params};

use super::{
    Approval, ApprovalBinding, CallUse, Decided, LimitHit, NewApproval, Proposal, PublishedKey,
    RateRule, SharedState, StateError, StopState, StopTarget, StoredRelease, TaskHistory, Usage,
    UsageScope, UseHit, UseLimit, VersionMark, now_ms,
};

/// Shared state in one SQLite database file.
#[derive(Debug)]
pub struct SqliteState {
    conn: Mutex<Connection>,
    /// A second connection for rate windows, without fsync on commit:
    /// losing the last second of rate history in a power cut is harmless.
    rates: Mutex<Connection>,
    path: PathBuf,
    /// Stop buttons and revocations pressed by this process on this
    /// database, through any handle (see [`local_counter`]).
    local_changes: Arc<AtomicU64>,
}

/// The counter of this process's stop-state changes on the database at
/// `path`, shared by every handle the process opens on that file, so that
/// a change made through one handle (an operator action) is seen through
/// another (the host's calls) at once, without a query.
fn local_counter(path: &Path) -> Arc<AtomicU64> {
    static COUNTERS: OnceLock<Mutex<HashMap<PathBuf, Arc<AtomicU64>>>> = OnceLock::new();
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let mut all = COUNTERS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    Arc::clone(all.entry(key).or_default())
}

impl SqliteState {
    /// Open (creating, and migrating to the current schema) the database at
    /// `path`.
    ///
    /// # Errors
    ///
    /// [`StateError`] when the database cannot be set up.
    pub fn open(path: &Path) -> Result<Self, StateError> {
        let err = |e: rusqlite::Error| StateError::Db {
            path: path.to_owned(),
            why: e.to_string(),
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        schema::migrate(&conn).map_err(err)?;
        let rates = Connection::open(path).map_err(err)?;
        rates.busy_timeout(Duration::from_secs(10)).map_err(err)?;
        rates
            .pragma_update(None, "synchronous", "OFF")
            .map_err(err)?;
        Ok(Self {
            conn: Mutex::new(conn),
            rates: Mutex::new(rates),
            path: path.to_owned(),
            local_changes: local_counter(path),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A poisoned lock only means another thread panicked mid-query;
        // SQLite's own transactions keep the data consistent.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn err(&self, e: rusqlite::Error) -> StateError {
        StateError::Db {
            path: self.path.clone(),
            why: e.to_string(),
        }
    }

    fn changed_locally(&self) {
        self.local_changes.fetch_add(1, Ordering::SeqCst);
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait::async_trait]
impl SharedState for SqliteState {
    async fn change_marker(&self) -> Result<u64, StateError> {
        let v: i64 = self
            .conn()
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut st| st.query_row([], |r| r.get(0)))
            .map_err(|e| self.err(e))?;
        // data_version counts other connections' commits; local changes
        // are counted here. Both only grow, so this sum grows whenever
        // either does.
        let local = self.local_changes.load(Ordering::SeqCst);
        Ok((v as u64).wrapping_mul(1 << 32).wrapping_add(local))
    }

    fn local_changes(&self) -> u64 {
        self.local_changes.load(Ordering::SeqCst)
    }

    async fn stop_state(&self) -> Result<StopState, StateError> {
        self.read_stops()
    }

    async fn set_stop(
        &self,
        target: &StopTarget,
        on: bool,
        by: &str,
        reason: &str,
    ) -> Result<bool, StateError> {
        let r = self.write_stop(target, on, by, reason);
        self.changed_locally();
        r
    }

    async fn revoke_token(
        &self,
        token_id: &str,
        by: &str,
        reason: &str,
    ) -> Result<bool, StateError> {
        let r = self.write_revocation(token_id, by, reason);
        self.changed_locally();
        r
    }

    async fn highest_version(&self, plugin: &str) -> Result<Option<VersionMark>, StateError> {
        self.read_version(plugin)
    }

    async fn record_version(&self, plugin: &str, mark: &VersionMark) -> Result<(), StateError> {
        self.write_version(plugin, mark)
    }

    async fn reset_version(&self, plugin: &str) -> Result<Option<VersionMark>, StateError> {
        self.delete_version(plugin)
    }

    async fn request_approval(&self, new: &NewApproval) -> Result<Approval, StateError> {
        self.insert_approval(new)
    }

    async fn approval(&self, id: &str) -> Result<Option<Approval>, StateError> {
        self.read_approval(id)
    }

    async fn open_approval_for(
        &self,
        binding: &ApprovalBinding,
    ) -> Result<Option<Approval>, StateError> {
        self.read_open_approval(binding)
    }

    async fn decide_approval(
        &self,
        id: &str,
        approve: bool,
        by: &str,
        reason: &str,
    ) -> Result<Decided, StateError> {
        self.write_decision(id, approve, by, reason)
    }

    async fn use_nonce(
        &self,
        nonce: &str,
        operator: &str,
        expires_ms: i64,
    ) -> Result<bool, StateError> {
        self.write_nonce(nonce, operator, expires_ms)
    }

    async fn consume_approval(&self, id: &str) -> Result<bool, StateError> {
        self.write_consumed(id)
    }

    async fn list_approvals(&self, all: bool) -> Result<Vec<Approval>, StateError> {
        self.read_approvals(all)
    }

    async fn admit(
        &self,
        rules: &[RateRule],
        now_ms: i64,
    ) -> Result<Result<(), LimitHit>, StateError> {
        if rules.is_empty() {
            return Ok(Ok(()));
        }
        let mut c = self.rates.lock().unwrap_or_else(|p| p.into_inner());
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        for r in rules {
            let window = i64::try_from(r.per.as_millis()).unwrap_or(i64::MAX);
            tx.execute(
                "DELETE FROM rate_events WHERE key = ?1 AND at <= ?2",
                params![r.key, now_ms.saturating_sub(window)],
            )
            .map_err(|e| self.err(e))?;
            let n: i64 = tx
                .query_row(
                    "SELECT COUNT(*) FROM rate_events WHERE key = ?1",
                    params![r.key],
                    |row| row.get(0),
                )
                .map_err(|e| self.err(e))?;
            if n >= i64::from(r.calls) {
                tx.commit().map_err(|e| self.err(e))?;
                return Ok(Err(LimitHit {
                    key: r.key.clone(),
                    limit: r.text.clone(),
                }));
            }
        }
        for r in rules {
            tx.execute(
                "INSERT INTO rate_events (key, at) VALUES (?1, ?2)",
                params![r.key, now_ms],
            )
            .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(Ok(()))
    }

    async fn record_use(
        &self,
        u: &CallUse,
        limits: &[UseLimit],
    ) -> Result<Result<i64, UseHit>, StateError> {
        self.take_use(u, limits)
    }

    async fn finish_use(&self, id: i64, ok: bool, output: u64) -> Result<(), StateError> {
        self.write_finish(id, ok, output)
    }

    async fn task_history(&self, task: &str) -> Result<TaskHistory, StateError> {
        self.read_history(task)
    }

    async fn usage(&self, scope: &UsageScope, since_ms: i64) -> Result<Usage, StateError> {
        self.read_usage(scope, since_ms)
    }

    async fn request_reload(&self, by: &str) -> Result<u64, StateError> {
        let c = self.conn();
        c.execute(
            "INSERT INTO reloads (by, at) VALUES (?1, ?2)",
            params![by, now_ms()],
        )
        .map_err(|e| self.err(e))?;
        let id = c.last_insert_rowid();
        drop(c);
        self.changed_locally();
        Ok(id as u64)
    }

    async fn release_in_force(&self) -> Result<Option<StoredRelease>, StateError> {
        self.read_release(None)
    }

    async fn release(&self, version: u64) -> Result<Option<StoredRelease>, StateError> {
        self.read_release(Some(version))
    }

    async fn put_release(
        &self,
        r: &StoredRelease,
        files: &[(String, Vec<u8>)],
    ) -> Result<bool, StateError> {
        self.write_release(r, files)
    }

    async fn release_file(&self, digest: &str) -> Result<Option<Vec<u8>>, StateError> {
        self.read_release_file(digest)
    }

    async fn propose(
        &self,
        digest: &str,
        doc: &[u8],
        signature: &str,
    ) -> Result<Vec<String>, StateError> {
        self.write_proposal(digest, doc, signature)
    }

    async fn proposals(&self) -> Result<Vec<Proposal>, StateError> {
        self.read_proposals()
    }

    async fn reload_request(&self) -> Result<(u64, Option<String>), StateError> {
        use rusqlite::OptionalExtension as _;
        let row: Option<(i64, String)> = self
            .conn()
            .prepare_cached("SELECT id, by FROM reloads ORDER BY id DESC LIMIT 1")
            .and_then(|mut st| st.query_row([], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(|e| self.err(e))?;
        Ok(row.map_or((0, None), |(id, by)| (id as u64, Some(by))))
    }

    async fn publish_token_key(&self, key: &PublishedKey) -> Result<(), StateError> {
        self.write_token_key(key)
    }

    async fn token_key(&self, kid: &str) -> Result<Option<PublishedKey>, StateError> {
        self.read_token_key(kid)
    }

    async fn token_keys(&self) -> Result<Vec<PublishedKey>, StateError> {
        self.read_token_keys()
    }

    async fn put_doc(
        &self,
        kind: &str,
        id: &str,
        body: &str,
        expires_ms: i64,
    ) -> Result<(), StateError> {
        self.write_doc(kind, id, body, expires_ms)
    }

    async fn doc(&self, kind: &str, id: &str) -> Result<Option<String>, StateError> {
        self.read_doc(kind, id)
    }

    async fn take_doc(&self, kind: &str, id: &str) -> Result<Option<String>, StateError> {
        self.remove_doc(kind, id)
    }
}
