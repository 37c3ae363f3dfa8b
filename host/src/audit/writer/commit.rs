//! Group commit by leader and followers: many concurrent records share one
//! fsync, done by the first of them to need it; the others wait for it and
//! are covered by it. A lone caller never hops threads; when others are
//! waiting too, the leader hands the fsync to the writer's one sync thread
//! and awaits it, so that calls do not queue behind the disk on its worker
//! thread. (It used to give its worker thread away for the fsync with
//! `block_in_place`, which made the runtime start a replacement thread each
//! time — under load a stream of new threads, each with a malloc arena of
//! its own: the soak's peak memory doubled. One long-lived thread keeps the
//! number of threads fixed.)

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::Notify;

use super::AuditError;
use super::file::Writer;
use super::prepared::Prepared;
use super::reserve::Reservation;
use crate::audit::event::Event;

/// How far the log is known to be on disk, and whether a caller is syncing.
#[derive(Debug, Default)]
struct SyncState {
    synced: u64,
    in_progress: bool,
}

/// What the appending callers and the checkpoint thread share.
pub(super) struct Shared {
    pub(super) writer: Mutex<Writer>,
    sync: Mutex<SyncState>,
    synced: Notify,
    /// Callers waiting for the disk now.
    waiting: AtomicUsize,
    path: PathBuf,
    fsync: bool,
    /// Each fsync's duration goes here.
    fsync_seconds: Option<opentelemetry::metrics::Histogram<f64>>,
    /// The sync thread: each job is one fsync, answered when done.
    syncer: Mutex<Option<Sender<SyncJob>>>,
}

/// One fsync asked of the sync thread, and where to say how it went.
type SyncJob = tokio::sync::oneshot::Sender<Result<(), AuditError>>;

impl Shared {
    pub(super) fn new(w: Writer, path: PathBuf) -> Result<Self, String> {
        let fsync = w.opts.fsync;
        let fsync_seconds = w.opts.fsync_seconds.clone();
        Ok(Self {
            writer: Mutex::new(w),
            sync: Mutex::new(SyncState::default()),
            synced: Notify::new(),
            waiting: AtomicUsize::new(0),
            path,
            fsync,
            fsync_seconds,
            syncer: Mutex::new(None),
        })
    }

    /// Start the sync thread of `shared`; it ends when `shared` is dropped.
    ///
    /// # Errors
    ///
    /// When the thread cannot be started.
    pub(super) fn start_syncer(shared: &Arc<Self>) -> std::io::Result<()> {
        if !shared.fsync {
            return Ok(());
        }
        let (tx, rx) = channel::<SyncJob>();
        let weak: Weak<Self> = Arc::downgrade(shared);
        std::thread::Builder::new()
            .name("warrant-audit-sync".into())
            .spawn(move || {
                while let Ok(reply) = rx.recv() {
                    let Some(s) = weak.upgrade() else { return };
                    let _ = reply.send(s.sync_all());
                }
            })?;
        *shared.syncer.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
        Ok(())
    }

    /// One fsync on the sync thread; inline when there is none.
    async fn sync_elsewhere(&self) -> Result<(), AuditError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sent = self
            .syncer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|s| s.send(tx).is_ok());
        if !sent {
            return self.sync_all();
        }
        match rx.await {
            Ok(r) => r,
            // The thread ended with the log: sync here.
            Err(_) => self.sync_all(),
        }
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, Writer> {
        // A poisoned lock means a writer panicked between writes; the file
        // itself is consistent (partial lines are cut before unlocking).
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Write one record in the calling thread; returns (seq, end offset).
    pub(super) fn write(
        &self,
        event: &Event,
        reservation: Option<Reservation>,
    ) -> Result<(u64, u64), AuditError> {
        // Serialised and half hashed before the lock: concurrent callers
        // wait for each other only for the chain's part.
        let prepared = Prepared::of(event).map_err(|e| AuditError::Io {
            path: self.path.clone(),
            why: format!("cannot serialise a {} record: {e}", event.kind()),
        })?;
        self.write_prepared(&prepared, reservation)
    }

    /// [`Shared::write`] of a record made ready beforehand.
    pub(super) fn write_prepared(
        &self,
        prepared: &Prepared,
        reservation: Option<Reservation>,
    ) -> Result<(u64, u64), AuditError> {
        let mut w = self.writer();
        let seq = w.write_prepared(prepared, reservation.as_ref())?;
        drop(reservation);
        w.maybe_checkpoint(false);
        Ok((seq, w.end()))
    }

    /// A claim on the reserve for one call's outcome.
    pub(super) fn reserve(&self) -> Result<Reservation, AuditError> {
        let mut w = self.writer();
        // No new call runs while the reserve itself cannot be kept (the
        // volume is full).
        if !w.reserve.restore() {
            return Err(AuditError::Full {
                path: self.path.clone(),
                why: "the reserve for the records of running calls cannot be kept".into(),
            });
        }
        let capacity = w.reserve.capacity();
        Reservation::take(&w.reserve.claims, capacity).ok_or_else(|| AuditError::Full {
            path: self.path.clone(),
            why: format!(
                "all {capacity} outcome slots of the audit reserve are held by calls in flight"
            ),
        })
    }

    /// Claims held now.
    pub(super) fn reserved(&self) -> usize {
        self.writer()
            .reserve
            .claims
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// Wait until everything up to `end` is on disk, syncing as the leader
    /// when no other caller is.
    pub(super) async fn durable(&self, end: u64) -> Result<(), AuditError> {
        if !self.fsync {
            return Ok(());
        }
        let _waiting = Waiting::enter(&self.waiting);
        loop {
            let notified = self.synced.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let lead = {
                let mut s = self.sync.lock().unwrap_or_else(|p| p.into_inner());
                if s.synced >= end {
                    return Ok(());
                }
                !std::mem::replace(&mut s.in_progress, true)
            };
            if lead {
                if self.waiting.load(Ordering::Acquire) > 1 {
                    self.sync_elsewhere().await?;
                } else {
                    self.sync_all()?;
                }
            } else {
                notified.await;
            }
        }
    }

    /// Sync now, in this thread (for code that is not async).
    pub(super) fn sync_now(&self) -> Result<(), AuditError> {
        if !self.fsync {
            return Ok(());
        }
        self.sync
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .in_progress = true;
        self.sync_all()
    }

    /// One fsync covering everything written so far (the caller has set
    /// `in_progress`).
    fn sync_all(&self) -> Result<(), AuditError> {
        // The open segment's handle (a segment sealed meanwhile was synced
        // before it was sealed).
        let (target, file) = {
            let w = self.writer();
            (w.end(), Arc::clone(&w.sync_file))
        };
        let started = std::time::Instant::now();
        let result = file.sync_data().map_err(|e| AuditError::Io {
            path: self.path.clone(),
            why: format!("cannot sync to disk: {e}"),
        });
        if let Some(h) = &self.fsync_seconds {
            h.record(started.elapsed().as_secs_f64(), &[]);
        }
        let mut s = self.sync.lock().unwrap_or_else(|p| p.into_inner());
        s.in_progress = false;
        if result.is_ok() {
            s.synced = s.synced.max(target);
        }
        drop(s);
        self.synced.notify_waiters();
        result
    }
}

/// Counts a caller among those waiting for the disk while it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(n: &'a AtomicUsize) -> Self {
        n.fetch_add(1, Ordering::AcqRel);
        Self(n)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
