//! The embedded backend: SQLite in the state directory. A CLI and a server
//! use it at once: WAL mode, a busy timeout, every change one transaction.
//! A server notices another process's change by `PRAGMA data_version`
//! (its watcher asks), and its own at once (an in-memory counter).

mod approvals;
mod freshness;
mod limits;
mod releases;
mod schema;
mod serving;
mod stops;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use futures_util::FutureExt as _;
use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::tx::{Lock, Tx};
use super::{SharedState, StateError};

/// Shared state in one SQLite database file.
#[derive(Debug)]
pub struct SqliteState {
    conn: Mutex<Connection>,
    /// A second connection for counts (rate windows, calls that ran),
    /// without fsync on commit: losing the last second of them in a power
    /// cut is harmless.
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
        schema::migrate(&conn).map_err(|why| StateError::Db {
            path: path.to_owned(),
            why,
        })?;
        // Every statement of the algorithms is prepared once and kept.
        conn.set_prepared_statement_cache_capacity(64);
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

    fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
        // A poisoned lock only means another thread panicked mid-query;
        // SQLite's own transactions keep the data consistent.
        conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        Self::lock(&self.conn)
    }

    fn err(&self, e: impl std::fmt::Display) -> StateError {
        StateError::Db {
            path: self.path.clone(),
            why: e.to_string(),
        }
    }

    /// Run `work` in one `IMMEDIATE` transaction on `conn` (the durable
    /// connection or the one for counts): SQLite's write lock on the file
    /// serialises every process on it, so [`Tx::lock`] has nothing to do.
    /// `work` is one of the algorithms above the backends; SQLite's
    /// statements never suspend, so it runs to its end here, under the
    /// connection's lock, without an `.await`.
    fn write<R>(
        &self,
        conn: &Mutex<Connection>,
        work: impl for<'c> AsyncFnOnce(Lite<'c, Transaction<'c>>) -> Result<R, StateError>,
    ) -> Result<R, StateError> {
        let mut c = Self::lock(conn);
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        self.finish(work(Lite { c: tx, state: self }))
    }

    /// Run `read` on `conn`, outside a transaction (as [`Self::write`]).
    fn read<R>(
        &self,
        conn: &Mutex<Connection>,
        read: impl for<'c> AsyncFnOnce(Lite<'c, &'c Connection>) -> Result<R, StateError>,
    ) -> Result<R, StateError> {
        let c = Self::lock(conn);
        self.finish(read(Lite {
            c: &*c,
            state: self,
        }))
    }

    /// Run `f`, which does not suspend, to its end.
    fn finish<R>(&self, f: impl Future<Output = Result<R, StateError>>) -> Result<R, StateError> {
        f.now_or_never().unwrap_or_else(|| {
            Err(self
                .err("internal error: a SQLite operation waited for something (none ever should)"))
        })
    }

    fn changed_locally(&self) {
        self.local_changes.fetch_add(1, Ordering::SeqCst);
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// SQLite's statements for the algorithms, on a connection `C`: a
/// [`Transaction`] (then a [`Tx`]) or a plain `&Connection`.
pub(super) struct Lite<'s, C> {
    c: C,
    state: &'s SqliteState,
}

impl<C: std::ops::Deref<Target = Connection>> Lite<'_, C> {
    fn err(&self, e: rusqlite::Error) -> StateError {
        self.state.err(e)
    }

    /// Run one statement (prepared once per connection); the rows changed.
    fn run(&self, sql: &str, params: impl rusqlite::Params) -> Result<usize, StateError> {
        self.c
            .prepare_cached(sql)
            .and_then(|mut st| st.execute(params))
            .map_err(|e| self.err(e))
    }
}

impl Tx for Lite<'_, Transaction<'_>> {
    async fn lock(&mut self, _space: Lock, _key: &str) -> Result<(), StateError> {
        Ok(())
    }

    async fn commit(self) -> Result<(), StateError> {
        let Self { c, state } = self;
        c.commit().map_err(|e| state.err(e))
    }

    fn error(&self, why: &str) -> StateError {
        self.state.err(why)
    }
}

impl SharedState for SqliteState {}
