//! The audit log writer: records are hashed, MACed and written by the
//! calling thread under a lock (and a file lock, so a CLI and a server can
//! append to one chain); durability by group commit ([`commit`]); torn-tail
//! recovery on open ([`recovery`]); signed checkpoints, also from an
//! idle-time thread and copied to a witness ([`checkpoint`]); and a reserve
//! of disk space so that a call allowed to run can always record its
//! outcome ([`reserve`]).
//!
//! No record waits for another thread: on this machine a thread round trip
//! costs more than the policy decision and two record writes together (see
//! `warrant-bench`), so the callers themselves write and sync.

mod checkpoint;
mod commit;
mod file;
mod prepared;
mod recovery;
mod reserve;
mod retain;
mod rotate;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::audit::event::{AuditRecovered, Event};
use crate::audit::keys::AuditKeys;
use crate::privfs::create_private_dir;

use commit::Shared;
use file::Writer;
pub use reserve::Reservation;

/// Why the audit log could not be written. Calls fail closed on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// The log cannot be opened or written.
    #[error("audit log {path}: {why}")]
    Io {
        /// The log file.
        path: PathBuf,
        /// What failed.
        why: String,
    },
    /// The volume has no room for another record that is not already
    /// reserved, so no new call may start.
    #[error(
        "audit log {path}: the volume is full ({why}); no new call runs until there is room again"
    )]
    Full {
        /// The log file.
        path: PathBuf,
        /// What failed.
        why: String,
    },
    /// The writer has stopped.
    #[error("the audit log writer has stopped")]
    Closed,
}

/// Where the chain's files are.
#[derive(Debug, Clone)]
pub struct AuditPaths {
    /// The log (JSON lines).
    pub log: PathBuf,
    /// The signed checkpoints (JSON lines).
    pub checkpoints: PathBuf,
}

impl AuditPaths {
    /// The files in `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            log: dir.join("audit.jsonl"),
            checkpoints: dir.join("checkpoints.jsonl"),
        }
    }
}

/// How the chain is written. [`AuditOptions::default`] documents every
/// default.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// A checkpoint after this many records.
    pub every: u64,
    /// Or after this long with new records.
    pub interval: Duration,
    /// Wait for the disk (fsync) before acknowledging a durable record.
    /// Only benchmarks turn this off, to measure everything but the disk.
    pub fsync: bool,
    /// Disk space held back for the outcomes of calls already allowed to
    /// run; a file of this size lives beside the log.
    pub reserve: u64,
    /// A second place every checkpoint is appended to (a witness file on
    /// another volume or machine), so that deleting the chain's tail and
    /// its checkpoints file together is still detected.
    pub witness: Option<PathBuf>,
    /// The id this host writes into every record.
    pub host_id: Option<String>,
    /// Witnesses asked to cosign every checkpoint (`c2sp.org/tlog-witness`).
    pub witnesses: Vec<crate::audit::tlog::WitnessEndpoint>,
    /// Where each fsync's duration is recorded (the host's
    /// `warrant.audit.fsync.duration`).
    pub fsync_seconds: Option<opentelemetry::metrics::Histogram<f64>>,
    /// Seal the open segment once it has grown past this many bytes (at
    /// the next checkpoint); 0 never.
    pub segment_bytes: u64,
    /// Also seal it once its first record is older than this (at the next
    /// checkpoint).
    pub segment_age: Option<Duration>,
    /// Move sealed segments older than this to [`AuditOptions::archive`]
    /// (at each seal); never when either is unset.
    pub retain: Option<Duration>,
    /// Where retention moves sealed segments.
    pub archive: Option<PathBuf>,
}

impl Default for AuditOptions {
    /// A checkpoint every 256 records or 5 seconds; fsync on; a 4 MiB
    /// reserve; no witness file, no witnesses; no host id; segments of
    /// 256 MiB, kept where they are.
    fn default() -> Self {
        Self {
            every: 256,
            interval: Duration::from_secs(5),
            fsync: true,
            reserve: 4 * crate::vocab::MIB,
            witness: None,
            host_id: None,
            witnesses: Vec::new(),
            fsync_seconds: None,
            segment_bytes: 256 * crate::vocab::MIB,
            segment_age: None,
            retain: None,
            archive: None,
        }
    }
}

/// The append side of the audit chain.
pub struct AuditLog {
    shared: Arc<Shared>,
    tx: Mutex<Option<Sender<()>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    paths: AuditPaths,
    host_id: Option<String>,
    /// The witnesses' submitter, awaited by [`AuditLog::finish_witnesses`].
    submitter: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("paths", &self.paths)
            .finish()
    }
}

impl AuditLog {
    /// Open (creating) the log in `dir`, recover a torn tail left by a
    /// crash (recording the recovery in the chain), set up the reserve and
    /// start the checkpoint thread.
    ///
    /// # Errors
    ///
    /// [`AuditError`] when the log cannot be opened or its tail is corrupt.
    pub fn open(dir: &Path, keys: AuditKeys, opts: AuditOptions) -> Result<Self, AuditError> {
        let paths = AuditPaths::in_dir(dir);
        let io = |why: String| AuditError::Io {
            path: paths.log.clone(),
            why,
        };
        let handle = create_private_dir(dir)
            .map_err(|e| io(format!("cannot create {}: {e}", dir.display())))?;
        let mut w = Writer::open(&handle, paths.clone(), keys, opts.clone()).map_err(io)?;
        let (witnesses, submitter) = crate::audit::tlog::submit::start(
            opts.witnesses.clone(),
            dir.to_path_buf(),
            opts.witness.clone(),
        )
        .unzip();
        w.witnesses = witnesses;
        let discarded = w.recover().map_err(io)?;
        if discarded > 0 {
            let event = Event::AuditRecovered(AuditRecovered {
                discarded_bytes: discarded,
                reason: "the last line was torn (a crash during a write); no acknowledged record was affected".into(),
            });
            w.write_event(&event, None).map_err(|e| io(e.to_string()))?;
            w.sync().map_err(io)?;
            tracing::warn!(
                "audit log: recovered from a torn final line ({discarded} bytes discarded)"
            );
        }
        let shared = Arc::new(Shared::new(w, paths.log.clone()).map_err(io)?);
        Shared::start_syncer(&shared)
            .map_err(|e| io(format!("cannot start the audit sync thread: {e}")))?;
        let (tx, rx) = channel();
        let for_thread = Arc::clone(&shared);
        let interval = opts.interval;
        let thread = std::thread::Builder::new()
            .name("warrant-audit-checkpoints".into())
            .spawn(move || checkpoint::idle_loop(&for_thread, &rx, interval))
            .map_err(|e| io(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Self {
            shared,
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
            paths,
            host_id: opts.host_id,
            submitter: Mutex::new(submitter),
        })
    }

    /// The files of this chain.
    pub fn paths(&self) -> &AuditPaths {
        &self.paths
    }

    /// The id of the host that writes this chain, if it has one.
    pub fn host_id(&self) -> Option<&str> {
        self.host_id.as_deref()
    }

    fn closed(&self) -> bool {
        self.tx.lock().map(|t| t.is_none()).unwrap_or(true)
    }

    /// Append a record. Returns its sequence number once it is written —
    /// and, when `durable`, once it (and everything before it) is on disk.
    ///
    /// # Errors
    ///
    /// [`AuditError`]: the caller must fail closed.
    pub async fn append(&self, event: &Event, durable: bool) -> Result<u64, AuditError> {
        if self.closed() {
            return Err(AuditError::Closed);
        }
        let (seq, end) = self.shared.write(event, None)?;
        if durable {
            self.shared.durable(end).await?;
        }
        Ok(seq)
    }

    /// Reserve room for the record of a call about to run: if this
    /// succeeds, [`AuditLog::append_reserved`] can record the call even
    /// when the volume fills up while it runs.
    ///
    /// # Errors
    ///
    /// [`AuditError`] (e.g. [`AuditError::Full`]): the call must not run.
    pub fn reserve(&self) -> Result<Reservation, AuditError> {
        if self.closed() {
            return Err(AuditError::Closed);
        }
        self.shared.reserve()
    }

    /// Append a call's record under the reservation taken before it ran.
    ///
    /// # Errors
    ///
    /// [`AuditError`] when even the reserve could not hold it.
    pub async fn append_reserved(
        &self,
        event: &Event,
        reservation: Reservation,
        durable: bool,
    ) -> Result<u64, AuditError> {
        let (seq, end) = self.shared.write(event, Some(reservation))?;
        if durable {
            self.shared.durable(end).await?;
        }
        Ok(seq)
    }

    /// Append a record of `kind` whose data is the object of `entries`
    /// (each key with its value's canonical JSON, sorted: `vocab::canon`),
    /// under `reservation` when given — for a record whose parts were
    /// serialised before (a call's decision, written ahead).
    ///
    /// # Errors
    ///
    /// [`AuditError`]: the caller must fail closed.
    pub(crate) async fn append_entries(
        &self,
        kind: &'static str,
        entries: crate::vocab::canon::Entries,
        reservation: Option<Reservation>,
        durable: bool,
    ) -> Result<u64, AuditError> {
        if reservation.is_none() && self.closed() {
            return Err(AuditError::Closed);
        }
        let prepared =
            prepared::Prepared::from_entries(kind, entries).map_err(|why| AuditError::Io {
                path: self.paths.log.clone(),
                why: format!("cannot serialise a {kind} record: {why}"),
            })?;
        let (seq, end) = self.shared.write_prepared(&prepared, reservation)?;
        if durable {
            self.shared.durable(end).await?;
        }
        Ok(seq)
    }

    /// [`AuditLog::append`] for code that is not async.
    ///
    /// # Errors
    ///
    /// [`AuditError`]: the caller must fail closed.
    pub fn append_blocking(&self, event: &Event, durable: bool) -> Result<u64, AuditError> {
        if self.closed() {
            return Err(AuditError::Closed);
        }
        let (seq, _) = self.shared.write(event, None)?;
        if durable {
            self.shared.sync_now()?;
        }
        Ok(seq)
    }

    /// Calls whose outcome space is reserved now.
    pub fn reserved(&self) -> usize {
        self.shared.reserved()
    }

    /// Sync, write a final checkpoint and stop the checkpoint thread.
    pub fn close(&self) {
        drop(self.tx.lock().unwrap_or_else(|p| p.into_inner()).take());
        if let Some(t) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = t.join();
        }
    }
}

impl AuditLog {
    /// After [`AuditLog::close`]: let the witnesses' submitter send the
    /// last checkpoints and keep their cosignatures, waiting at most
    /// `within` (a witness that does not answer delays a stop no longer).
    pub async fn finish_witnesses(&self, within: std::time::Duration) {
        // No checkpoint follows a close: the channel ends with the last.
        drop(
            self.shared
                .writer
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .witnesses
                .take(),
        );
        let task = self
            .submitter
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(task) = task
            && tokio::time::timeout(within, task).await.is_err()
        {
            tracing::warn!(
                "the witnesses did not cosign the last checkpoints within {within:?}; \
                 the next checkpoint, which extends them, is cosigned instead"
            );
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        self.close();
    }
}
