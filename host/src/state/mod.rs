//! Shared state in an embedded SQLite database under the state directory:
//! plugin versions seen (rollback protection), revoked tokens, quarantined
//! agents, disabled plugins, the halt switch, and approvals.
//!
//! A CLI and a server use it at once: WAL mode, a busy timeout, and every
//! change in one transaction. A server notices another process's change by
//! `PRAGMA data_version`, cheaply, on every call.

mod approvals;
mod stops;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::fsutil::create_private_dir;
use rusqlite::{Connection, OptionalExtension, params};

pub use approvals::{Approval, ApprovalStatus, NewApproval};
pub use stops::{StopState, Stopped};

/// Why the state database failed.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// SQLite reported an error.
    #[error("state database {path}: {why}")]
    Db {
        /// The database path.
        path: PathBuf,
        /// The error.
        why: String,
    },
    /// The state directory could not be created.
    #[error("cannot create state directory {path}: {why}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        why: String,
    },
}

/// The shared state database.
#[derive(Debug)]
pub struct StateDb {
    conn: Mutex<Connection>,
    path: PathBuf,
    local_changes: std::sync::atomic::AtomicU64,
}

const SCHEMA: &str = r"
CREATE TABLE IF NOT EXISTS plugin_versions (
    plugin TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    major INTEGER NOT NULL, minor INTEGER NOT NULL, patch INTEGER NOT NULL,
    digest TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS stops (
    kind TEXT NOT NULL,          -- 'halt', 'agent', 'plugin'
    target TEXT NOT NULL,        -- '' for halt, else the agent or plugin id
    by TEXT NOT NULL,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (kind, target)
);
CREATE TABLE IF NOT EXISTS revoked_tokens (
    token_id TEXT PRIMARY KEY,
    by TEXT NOT NULL,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS approvals (
    id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    task TEXT NOT NULL,
    tool TEXT NOT NULL,
    args_digest TEXT NOT NULL,
    token_id TEXT NOT NULL,
    impact TEXT NOT NULL,
    why TEXT NOT NULL,
    summary TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    decided_by TEXT,
    decided_at INTEGER,
    decision_reason TEXT,
    used_at INTEGER
);
CREATE INDEX IF NOT EXISTS approvals_call ON approvals (agent, task, tool, args_digest);
";

/// A plugin version as numbers: (major, minor, patch).
pub type Version = (u64, u64, u64);

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl StateDb {
    /// Open (creating if needed) `state.db` in `state_dir`.
    ///
    /// # Errors
    ///
    /// [`StateError`] when the directory or database cannot be set up.
    pub fn open(state_dir: &Path) -> Result<Self, StateError> {
        create_private_dir(state_dir).map_err(|e| StateError::Dir {
            path: state_dir.to_owned(),
            why: e.to_string(),
        })?;
        let path = state_dir.join("state.db");
        let conn = Connection::open(&path).map_err(|e| StateError::Db {
            path: path.clone(),
            why: e.to_string(),
        })?;
        let db = Self {
            conn: Mutex::new(conn),
            path,
            local_changes: std::sync::atomic::AtomicU64::new(0),
        };
        {
            let c = db.conn();
            c.busy_timeout(Duration::from_secs(10))
                .map_err(|e| db.err(e))?;
            c.pragma_update(None, "journal_mode", "WAL")
                .map_err(|e| db.err(e))?;
            c.pragma_update(None, "synchronous", "FULL")
                .map_err(|e| db.err(e))?;
            c.execute_batch(SCHEMA).map_err(|e| db.err(e))?;
        }
        Ok(db)
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

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A number that changes whenever the stop state may have changed: a
    /// commit by another connection (`PRAGMA data_version`) or a change made
    /// through this one.
    ///
    /// # Errors
    ///
    /// [`StateError::Db`].
    pub fn data_version(&self) -> Result<(i64, u64), StateError> {
        let v: i64 = self
            .conn()
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut st| st.query_row([], |r| r.get(0)))
            .map_err(|e| self.err(e))?;
        Ok((
            v,
            self.local_changes.load(std::sync::atomic::Ordering::SeqCst),
        ))
    }

    pub(crate) fn changed_locally(&self) {
        self.local_changes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// The highest version of `plugin` this host has loaded, if any.
    ///
    /// # Errors
    ///
    /// [`StateError::Db`].
    pub fn highest_version(&self, plugin: &str) -> Result<Option<(String, Version)>, StateError> {
        self.conn()
            .query_row(
                "SELECT version, major, minor, patch FROM plugin_versions WHERE plugin = ?1",
                params![plugin],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        (
                            r.get::<_, i64>(1)? as u64,
                            r.get::<_, i64>(2)? as u64,
                            r.get::<_, i64>(3)? as u64,
                        ),
                    ))
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Record that `plugin` was loaded at `version`, if it is the highest.
    ///
    /// # Errors
    ///
    /// [`StateError::Db`].
    pub fn record_version(
        &self,
        plugin: &str,
        version: &str,
        v: (u64, u64, u64),
        digest: &str,
    ) -> Result<(), StateError> {
        let to_i = |x: u64| i64::try_from(x).unwrap_or(i64::MAX);
        self.conn()
            .execute(
                "INSERT INTO plugin_versions (plugin, version, major, minor, patch, digest, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(plugin) DO UPDATE SET
                   version = excluded.version, major = excluded.major, minor = excluded.minor,
                   patch = excluded.patch, digest = excluded.digest, at = excluded.at
                 WHERE (excluded.major, excluded.minor, excluded.patch) > (major, minor, patch)",
                params![
                    plugin,
                    version,
                    to_i(v.0),
                    to_i(v.1),
                    to_i(v.2),
                    digest,
                    now_ms()
                ],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_only_go_up() {
        let dir = tempfile::tempdir().unwrap();
        let db = StateDb::open(dir.path()).unwrap();
        assert_eq!(db.highest_version("p").unwrap(), None);
        db.record_version("p", "1.2.0", (1, 2, 0), "aa").unwrap();
        db.record_version("p", "1.1.9", (1, 1, 9), "bb").unwrap();
        assert_eq!(db.highest_version("p").unwrap().unwrap().0, "1.2.0");
        db.record_version("p", "1.10.0", (1, 10, 0), "cc").unwrap();
        assert_eq!(db.highest_version("p").unwrap().unwrap().0, "1.10.0");
    }

    #[test]
    fn a_second_connection_sees_changes() {
        let dir = tempfile::tempdir().unwrap();
        let a = StateDb::open(dir.path()).unwrap();
        let b = StateDb::open(dir.path()).unwrap();
        let v = a.data_version().unwrap();
        b.record_version("p", "1.0.0", (1, 0, 0), "aa").unwrap();
        assert_ne!(a.data_version().unwrap(), v);
        assert!(a.highest_version("p").unwrap().is_some());
    }
}
