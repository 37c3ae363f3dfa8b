//! Group commit by leader and followers: many concurrent records share one
//! fsync, done by the first of them to need it; the others wait for it and
//! are covered by it. A lone caller never hops threads; when others are
//! waiting too, the leader gives its worker thread's other tasks to another
//! thread for the length of the fsync (`block_in_place`), so that calls do
//! not queue behind the disk.

use std::fs::File;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

use super::AuditError;
use super::file::Writer;
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
    /// A second handle on the log, for fsync without holding the writer.
    sync_file: File,
    sync: Mutex<SyncState>,
    synced: Notify,
    /// Callers waiting for the disk now.
    waiting: AtomicUsize,
    path: PathBuf,
    fsync: bool,
}

impl Shared {
    pub(super) fn new(w: Writer, path: PathBuf) -> Result<Self, String> {
        let sync_file = w.file.try_clone().map_err(|e| e.to_string())?;
        let fsync = w.opts.fsync;
        Ok(Self {
            writer: Mutex::new(w),
            sync_file,
            sync: Mutex::new(SyncState::default()),
            synced: Notify::new(),
            waiting: AtomicUsize::new(0),
            path,
            fsync,
        })
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
        let mut w = self.writer();
        let seq = w.write_event(event, reservation.as_ref())?;
        drop(reservation);
        w.maybe_checkpoint(false);
        Ok((seq, w.known_len))
    }

    /// A claim on the reserve for one call's outcome.
    pub(super) fn reserve(&self) -> Result<Reservation, AuditError> {
        let w = self.writer();
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
                if self.waiting.load(Ordering::Acquire) > 1 && on_multi_thread_runtime() {
                    tokio::task::block_in_place(|| self.sync_all())?;
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
        let target = self.writer().known_len;
        let result = self.sync_file.sync_data().map_err(|e| AuditError::Io {
            path: self.path.clone(),
            why: format!("cannot sync to disk: {e}"),
        });
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

/// `block_in_place` needs a multi-thread runtime (it panics elsewhere).
fn on_multi_thread_runtime() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
}
