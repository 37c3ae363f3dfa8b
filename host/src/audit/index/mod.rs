//! The index of the chain: SQLite beside the log (`index.sqlite` in the
//! audit directory), mapping call id, task, agent, approval, trace, kind
//! and time to where each record is, so that a task's story, a call's
//! records or an agent's recent calls are read without reading the chain.
//!
//! The chain is the truth and the index only a way into it: it is
//! maintained off the calls' path (a follower thread in the server, or the
//! reader itself), rebuilt from the chain at any time (`warrant audit
//! reindex`), rebuilt by itself when the chain under it was replaced or
//! cut, and every record it points to is read back from the chain and
//! checked against the lookup. What was appended since its last update is
//! read from the chain's tail, so a lookup is always complete.

mod db;
mod entry;
mod query;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;

use crate::audit::query::Filter;
use crate::audit::record::Record;
pub use query::Query;

/// The index's file name, in the audit directory.
pub const INDEX_FILE: &str = "index.sqlite";

/// Why the index could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the audit index {path}: {why}")]
pub struct IndexError {
    path: PathBuf,
    why: String,
}

/// The index of one chain.
#[derive(Debug)]
pub struct AuditIndex {
    log: PathBuf,
    path: PathBuf,
    /// `None` when the database cannot be opened (a read-only copy of a
    /// chain): every lookup then reads the chain.
    conn: Option<Mutex<Connection>>,
    /// A follower thread keeps the index up to date: lookups do not write.
    followed: AtomicBool,
}

impl AuditIndex {
    /// The index of the chain at `log`, in the same directory; when it
    /// cannot be opened (created), lookups read the whole chain instead.
    pub fn beside(log: &Path) -> Self {
        let path = log.with_file_name(INDEX_FILE);
        match Self::at(log, &path) {
            Ok(i) => i,
            Err(e) => {
                tracing::debug!("{e}; lookups read the whole chain");
                Self {
                    log: log.to_owned(),
                    path,
                    conn: None,
                    followed: AtomicBool::new(false),
                }
            }
        }
    }

    /// The index of the chain at `log` in the database at `path`.
    ///
    /// # Ambient Authority
    ///
    /// Opens (creates) `path`, beside the chain the operator's config
    /// places; SQLite opens files by path.
    ///
    /// # Errors
    ///
    /// When the database cannot be opened or created.
    pub fn at(log: &Path, path: &Path) -> Result<Self, IndexError> {
        let conn = db::open(path).map_err(|e| IndexError {
            path: path.to_owned(),
            why: e.to_string(),
        })?;
        Ok(Self {
            log: log.to_owned(),
            path: path.to_owned(),
            conn: Some(Mutex::new(conn)),
            followed: AtomicBool::new(false),
        })
    }

    /// The database's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether lookups use the database (else they read the chain).
    pub fn is_persistent(&self) -> bool {
        self.conn.is_some()
    }

    fn err(&self, why: impl std::fmt::Display) -> IndexError {
        IndexError {
            path: self.path.clone(),
            why: why.to_string(),
        }
    }

    /// Index everything appended to the chain since the last update;
    /// returns the records indexed.
    ///
    /// # Errors
    ///
    /// When the database or the chain cannot be read or written.
    pub fn catch_up(&self) -> Result<u64, IndexError> {
        self.update(false, usize::MAX, &mut |_| {})
    }

    /// Forget the index and build it again from the whole chain, calling
    /// `progress` with the records indexed so far after each batch.
    /// Killed midway, it leaves an index complete up to its last batch,
    /// which the next update continues.
    ///
    /// # Errors
    ///
    /// As [`AuditIndex::catch_up`].
    pub fn reindex(&self, progress: &mut dyn FnMut(u64)) -> Result<u64, IndexError> {
        self.update(true, usize::MAX, progress)
    }

    fn update(
        &self,
        forget: bool,
        batches: usize,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64, IndexError> {
        let Some(conn) = &self.conn else {
            return Err(self.err("the database could not be opened"));
        };
        let mut total = 0;
        let mut first = forget;
        for _ in 0..batches {
            let mut c = conn.lock().unwrap_or_else(|p| p.into_inner());
            let (n, end) = db::catch_up(&mut c, &self.log, first, 1).map_err(|e| self.err(e))?;
            drop(c);
            first = false;
            total += n;
            progress(total);
            if end {
                break;
            }
        }
        Ok(total)
    }

    /// A digest of what the index holds: two indexes of one chain that
    /// agree hold the same.
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn digest(&self) -> Result<String, IndexError> {
        let Some(conn) = &self.conn else {
            return Err(self.err("the database could not be opened"));
        };
        let c = conn.lock().unwrap_or_else(|p| p.into_inner());
        db::digest(&c).map_err(|e| self.err(e))
    }

    /// Keep the index up to date from a thread of its own, every `every`,
    /// for as long as the index is in use; lookups then only read.
    pub fn follow(index: &Arc<Self>, every: Duration) {
        if index.conn.is_none() {
            return;
        }
        index.followed.store(true, Ordering::Relaxed);
        let weak = Arc::downgrade(index);
        let spawned = std::thread::Builder::new()
            .name("warrant-audit-index".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(every);
                    let Some(index) = weak.upgrade() else { return };
                    if let Err(e) = index.catch_up() {
                        tracing::warn!("{e}; lookups read the chain's tail meanwhile");
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot start the audit index thread: {e}; lookups update the index");
            index.followed.store(false, Ordering::Relaxed);
        }
    }

    /// The records `q` asks for, in chain order.
    ///
    /// # Errors
    ///
    /// When the chain cannot be read.
    pub fn find(&self, q: &Query) -> std::io::Result<Vec<Record>> {
        let Some(conn) = &self.conn else {
            return q.scan(&self.log, 0);
        };
        if !self.followed.load(Ordering::Relaxed) {
            // A reader without a follower (the CLI) brings the index up
            // to date — all of it: a backlog indexed once is not read
            // again by the next lookup.
            if let Err(e) = self.update(false, usize::MAX, &mut |_| {}) {
                tracing::debug!("{e}; reading the chain's tail instead");
            }
        }
        let found = {
            let mut c = conn.lock().unwrap_or_else(|p| p.into_inner());
            q.rows(&mut c)
        };
        match found {
            Ok((spots, scanned)) => q.read(&self.log, &spots, scanned),
            Err(e) => {
                tracing::warn!("{}; reading the whole chain", self.err(e));
                q.scan(&self.log, 0)
            }
        }
    }

    /// The records that pass `filter`, in chain order (all of them for an
    /// empty filter).
    ///
    /// # Errors
    ///
    /// When the chain cannot be read.
    pub fn records(&self, filter: &Filter) -> std::io::Result<Vec<Record>> {
        let q = Query::of(filter);
        if q.is_everything() {
            return crate::audit::read_records(&self.log, filter);
        }
        Ok(self
            .find(&q)?
            .into_iter()
            .filter(|r| filter.matches(r))
            .collect())
    }

    /// The records of one call, in chain order.
    ///
    /// # Errors
    ///
    /// When the chain cannot be read.
    pub fn records_of(&self, call_id: &str) -> std::io::Result<Vec<Record>> {
        self.find(&Query {
            call_id: Some(call_id.to_owned()),
            ..Query::default()
        })
    }

    /// The records of one task, in chain order.
    ///
    /// # Errors
    ///
    /// When the chain cannot be read.
    pub fn records_of_task(&self, task: &str) -> std::io::Result<Vec<Record>> {
        self.find(&Query {
            task: Some(task.to_owned()),
            ..Query::default()
        })
    }

    /// The request `id` and the records of the call it holds.
    ///
    /// # Errors
    ///
    /// When the chain cannot be read.
    pub fn records_of_approval(&self, id: &str) -> std::io::Result<Vec<Record>> {
        self.find(&Query {
            approval: Some(id.to_owned()),
            ..Query::default()
        })
    }

    /// The records of every task token issued or exchanged.
    ///
    /// # Errors
    ///
    /// When the chain cannot be read.
    pub fn token_records(&self) -> std::io::Result<Vec<Record>> {
        self.find(&Query {
            flags: entry::TOKEN,
            ..Query::default()
        })
    }

    /// The records of every release of the rules applied.
    ///
    /// # Errors
    ///
    /// When the chain cannot be read.
    pub fn rules_records(&self) -> std::io::Result<Vec<Record>> {
        self.find(&Query {
            flags: entry::RULES,
            ..Query::default()
        })
    }

    /// The records of every stop button pressed.
    ///
    /// # Errors
    ///
    /// When the chain cannot be read.
    pub fn stop_records(&self) -> std::io::Result<Vec<Record>> {
        self.find(&Query {
            flags: entry::STOP,
            ..Query::default()
        })
    }
}
