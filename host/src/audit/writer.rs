//! The audit log writer: records are hashed, MACed and written by the
//! calling thread under a lock (and a file lock, so a CLI and a server can
//! append to one chain); group commit by leader and followers — many
//! concurrent records share one fsync, done by the first of them; torn-tail
//! recovery on open; signed checkpoints, also from an idle-time thread.
//!
//! No record waits for another thread: on this machine a thread round trip
//! costs more than the policy decision and two record writes together (see
//! `warrant-bench`), so the callers themselves write and sync.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use ed25519_dalek::Signer as _;
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::audit::keys::AuditKeys;
use crate::audit::record::{GENESIS, Head, Record, encode_line, hash_parts, mac};
use crate::canonical::to_canonical;
use crate::fsutil::create_private_dir;
use crate::keys::{Purpose, signed_bytes};

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

/// When to write checkpoints.
#[derive(Debug, Clone, Copy)]
pub struct CheckpointPolicy {
    /// After this many records.
    pub every: u64,
    /// Or after this long with new records.
    pub interval: Duration,
    /// Wait for the disk (fsync) before acknowledging a durable record.
    /// Only benchmarks turn this off, to measure everything but the disk.
    pub fsync: bool,
}

impl Default for CheckpointPolicy {
    /// Every 256 records or 5 seconds; fsync on.
    fn default() -> Self {
        Self {
            every: 256,
            interval: Duration::from_secs(5),
            fsync: true,
        }
    }
}

/// Group commit state: how far the log is known to be on disk, and whether
/// a caller is syncing now.
#[derive(Debug, Default)]
struct SyncState {
    synced: u64,
    in_progress: bool,
}

/// What the appending callers and the checkpoint thread share.
struct Shared {
    writer: Mutex<Writer>,
    /// A second handle on the log, for fsync without holding the writer.
    sync_file: File,
    sync: Mutex<SyncState>,
    synced: Notify,
    path: PathBuf,
}

impl Shared {
    /// One fsync covering everything written so far (the caller has set
    /// `in_progress`).
    fn sync_all(&self) -> Result<(), AuditError> {
        let target = self
            .writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .known_len;
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

/// The append side of the audit chain.
pub struct AuditLog {
    shared: Arc<Shared>,
    tx: Mutex<Option<Sender<()>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    paths: AuditPaths,
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
    /// crash (recording the recovery in the chain), and start the sync
    /// thread.
    ///
    /// # Errors
    ///
    /// [`AuditError`] when the log cannot be opened or its tail is corrupt.
    pub fn open(dir: &Path, keys: AuditKeys, policy: CheckpointPolicy) -> Result<Self, AuditError> {
        let paths = AuditPaths::in_dir(dir);
        let io = |why: String| AuditError::Io {
            path: paths.log.clone(),
            why,
        };
        create_private_dir(dir).map_err(|e| io(format!("cannot create {}: {e}", dir.display())))?;
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&paths.log)
            .map_err(|e| io(e.to_string()))?;
        let sync_file = file.try_clone().map_err(|e| io(e.to_string()))?;
        let mut w = Writer {
            file,
            paths: paths.clone(),
            known_len: 0,
            last_seq: 0,
            last_hash: GENESIS.to_owned(),
            keys,
            policy,
            since_checkpoint: 0,
            last_checkpoint: Instant::now(),
        };
        w.file.lock().map_err(|e| io(format!("cannot lock: {e}")))?;
        let recovered = w.resync(true);
        let _ = w.file.unlock();
        let discarded = recovered.map_err(io)?;
        if discarded > 0 {
            let data = json!({"discarded_bytes": discarded, "reason": "the last line was torn (a crash during a write); no acknowledged record was affected"});
            w.write_batch(&mut [("audit.recovered".into(), data)])
                .map_err(io)?;
            w.file.sync_data().map_err(|e| io(e.to_string()))?;
            tracing::warn!(
                "audit log: recovered from a torn final line ({discarded} bytes discarded)"
            );
        }
        let shared = Arc::new(Shared {
            writer: Mutex::new(w),
            sync_file,
            sync: Mutex::new(SyncState::default()),
            synced: Notify::new(),
            path: paths.log.clone(),
        });
        let (tx, rx) = channel();
        let for_thread = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("warrant-audit-checkpoints".into())
            .spawn(move || checkpoint_loop(&for_thread, &rx, policy))
            .map_err(|e| io(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Self {
            shared,
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
            paths,
        })
    }

    /// The files of this chain.
    pub fn paths(&self) -> &AuditPaths {
        &self.paths
    }

    /// Write one record in the calling thread; returns (seq, end offset).
    fn write(&self, kind: &str, data: Value) -> Result<(u64, u64), AuditError> {
        let mut w = self.shared.writer.lock().unwrap_or_else(|p| p.into_inner());
        if self.tx.lock().map(|t| t.is_none()).unwrap_or(true) {
            return Err(AuditError::Closed);
        }
        let seq = w
            .write_batch(&mut [(kind.to_owned(), data)])
            .map_err(|why| AuditError::Io {
                path: self.shared.path.clone(),
                why,
            })?;
        w.maybe_checkpoint(false);
        Ok((seq, w.known_len))
    }

    fn fsync_on(&self) -> bool {
        self.shared
            .writer
            .lock()
            .map(|w| w.policy.fsync)
            .unwrap_or(true)
    }

    /// Append a record. Returns its sequence number once it is written —
    /// and, when `durable`, once it (and everything before it) is on disk.
    ///
    /// # Errors
    ///
    /// [`AuditError`]: the caller must fail closed.
    pub async fn append(&self, kind: &str, data: Value, durable: bool) -> Result<u64, AuditError> {
        let (seq, end) = self.write(kind, data)?;
        if durable && self.fsync_on() {
            self.durable(end).await?;
        }
        Ok(seq)
    }

    /// Group commit, leader and followers: the first caller to find no sync
    /// running does one fsync for everything written so far; the others
    /// wait for it and are covered by it. No thread hop for a lone caller.
    async fn durable(&self, end: u64) -> Result<(), AuditError> {
        loop {
            let notified = self.shared.synced.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let lead = {
                let mut s = self.shared.sync.lock().unwrap_or_else(|p| p.into_inner());
                if s.synced >= end {
                    return Ok(());
                }
                !std::mem::replace(&mut s.in_progress, true)
            };
            if lead {
                self.shared.sync_all()?;
            } else {
                notified.await;
            }
        }
    }

    /// [`AuditLog::append`] for code that is not async.
    ///
    /// # Errors
    ///
    /// [`AuditError`]: the caller must fail closed.
    pub fn append_blocking(
        &self,
        kind: &str,
        data: Value,
        durable: bool,
    ) -> Result<u64, AuditError> {
        let (seq, _) = self.write(kind, data)?;
        if durable && self.fsync_on() {
            self.shared
                .sync
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .in_progress = true;
            self.shared.sync_all()?;
        }
        Ok(seq)
    }

    /// Sync, write a final checkpoint and stop the checkpoint thread.
    pub fn close(&self) {
        drop(self.tx.lock().unwrap_or_else(|p| p.into_inner()).take());
        if let Some(t) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = t.join();
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        self.close();
    }
}

/// The checkpoint thread: a signed checkpoint after `interval` with new
/// records even when no more calls come; a final one (after a sync) on close.
fn checkpoint_loop(shared: &Shared, rx: &Receiver<()>, policy: CheckpointPolicy) {
    while let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(policy.interval) {
        shared
            .writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .maybe_checkpoint(false);
    }
    let mut w = shared.writer.lock().unwrap_or_else(|p| p.into_inner());
    if w.policy.fsync {
        let _ = w.file.sync_data();
    }
    w.maybe_checkpoint(true);
}

struct Writer {
    file: File,
    paths: AuditPaths,
    known_len: u64,
    last_seq: u64,
    last_hash: String,
    keys: AuditKeys,
    policy: CheckpointPolicy,
    since_checkpoint: u64,
    last_checkpoint: Instant,
}

impl Writer {
    /// Write records, under the file lock; returns the first one's seq.
    fn write_batch(&mut self, items: &mut [(String, Value)]) -> Result<u64, String> {
        self.file.lock().map_err(|e| format!("cannot lock: {e}"))?;
        let result = self.write_locked(items);
        let _ = self.file.unlock();
        result
    }

    fn write_locked(&mut self, items: &mut [(String, Value)]) -> Result<u64, String> {
        let len = self.file.metadata().map_err(|e| e.to_string())?.len();
        if len != self.known_len {
            // Another process appended since our last write.
            self.resync(false)?;
        }
        let first = self.last_seq + 1;
        let mut buf = Vec::new();
        let (mut seq, mut prev) = (self.last_seq, self.last_hash.clone());
        for (kind, data) in items.iter_mut() {
            seq += 1;
            let time = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
            let canonical = to_canonical(data);
            let head = Head {
                seq,
                time: &time,
                kind,
                prev: &prev,
            };
            let hash = hash_parts(head, &canonical);
            let mac = mac(&self.keys.mac, &hash);
            encode_line(head, &canonical, &hash, &mac, &mut buf);
            buf.push(b'\n');
            prev = hash;
        }
        if let Err(e) = self.file.write_all(&buf) {
            // Leave no partial line behind for the next writer.
            let _ = self.file.set_len(self.known_len);
            return Err(format!("cannot write: {e}"));
        }
        self.known_len += buf.len() as u64;
        self.last_seq = seq;
        self.last_hash = prev;
        self.since_checkpoint += seq - first + 1;
        Ok(first)
    }

    /// Find the last complete record. With `repair`, cut a torn final line
    /// and return how many bytes were cut.
    fn resync(&mut self, repair: bool) -> Result<u64, String> {
        let len = self.file.metadata().map_err(|e| e.to_string())?.len();
        if len == 0 {
            self.known_len = 0;
            self.last_seq = 0;
            self.last_hash = GENESIS.to_owned();
            return Ok(0);
        }
        let mut window: u64 = 64 * 1024;
        loop {
            let start = len.saturating_sub(window);
            let mut tail = Vec::new();
            self.file
                .seek(SeekFrom::Start(start))
                .map_err(|e| e.to_string())?;
            (&self.file)
                .take(len - start)
                .read_to_end(&mut tail)
                .map_err(|e| e.to_string())?;
            let complete_end = tail.iter().rposition(|b| *b == b'\n').map(|i| i + 1);
            let torn = tail.len() - complete_end.unwrap_or(0);
            let Some(end) = complete_end else {
                if start == 0 {
                    // The whole file is one torn line.
                    return self.cut(len, 0, repair);
                }
                window *= 4;
                continue;
            };
            let body = &tail[..end - 1];
            let line_start = body.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            if line_start == 0 && start > 0 {
                window *= 4;
                continue;
            }
            let last: Record = serde_json::from_slice(&body[line_start..])
                .map_err(|e| format!("the last complete record (ending at byte {}) is corrupt: {e}; run `warrant audit verify`", start + end as u64))?;
            self.last_seq = last.seq;
            self.last_hash = last.hash;
            let cut = self.cut(len, start + end as u64, repair && torn > 0)?;
            if torn > 0 && !repair {
                return Err("another writer left a torn line; reopen to repair".into());
            }
            return Ok(cut);
        }
    }

    fn cut(&mut self, len: u64, keep: u64, repair: bool) -> Result<u64, String> {
        if keep == 0 {
            self.last_seq = 0;
            self.last_hash = GENESIS.to_owned();
        }
        if repair && keep < len {
            self.file
                .set_len(keep)
                .map_err(|e| format!("cannot cut the torn line: {e}"))?;
            self.file.sync_data().map_err(|e| e.to_string())?;
        } else if keep < len {
            return Err("torn line".into());
        }
        self.known_len = keep;
        Ok(len - keep)
    }

    fn maybe_checkpoint(&mut self, force: bool) {
        let due = self.since_checkpoint >= self.policy.every
            || (self.since_checkpoint > 0
                && (force || self.last_checkpoint.elapsed() >= self.policy.interval));
        if !due {
            return;
        }
        if let Err(e) = self.checkpoint() {
            tracing::error!("audit checkpoint failed: {e}");
            return;
        }
        self.since_checkpoint = 0;
        self.last_checkpoint = Instant::now();
    }

    fn checkpoint(&mut self) -> Result<(), String> {
        let time = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let body = json!({"seq": self.last_seq, "head": self.last_hash, "time": time});
        let sig = self.keys.checkpoint.sign(&signed_bytes(
            Purpose::AuditCheckpoint,
            &to_canonical(&body),
        ));
        let mut line = body;
        line["sig"] = json!(base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            sig.to_bytes()
        ));
        let mut f = OpenOptions::new()
            .append(true)
            .create(true)
            .open(&self.paths.checkpoints)
            .map_err(|e| e.to_string())?;
        let mut text = serde_json::to_vec(&line).map_err(|e| e.to_string())?;
        text.push(b'\n');
        f.write_all(&text).map_err(|e| e.to_string())?;
        f.sync_data().map_err(|e| e.to_string())
    }
}
