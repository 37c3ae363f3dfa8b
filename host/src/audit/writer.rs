//! The audit log writer: a dedicated thread, group commit (many concurrent
//! records share one fsync), a file lock so a CLI and a server can append to
//! one chain, torn-tail recovery on open, and signed checkpoints.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use ed25519_dalek::Signer as _;
use serde_json::{Value, json};

use crate::audit::keys::AuditKeys;
use crate::audit::record::{GENESIS, Record, mac, record_hash};
use crate::canonical::to_canonical;
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

type Ack = tokio::sync::oneshot::Sender<Result<u64, AuditError>>;

enum Msg {
    Append {
        kind: String,
        data: Value,
        durable: bool,
        ack: Ack,
    },
    Stop,
}

/// The append side of the audit chain.
#[derive(Debug)]
pub struct AuditLog {
    tx: Mutex<Option<Sender<Msg>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    paths: AuditPaths,
}

impl AuditLog {
    /// Open (creating) the log in `dir`, recover a torn tail left by a
    /// crash (recording the recovery in the chain), and start the writer.
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
            w.write_batch(&mut [("audit.recovered".into(), data, true)])
                .map_err(io)?;
            tracing::warn!(
                "audit log: recovered from a torn final line ({discarded} bytes discarded)"
            );
        }
        let (tx, rx) = channel();
        let thread = std::thread::Builder::new()
            .name("warrant-audit".into())
            .spawn(move || w.run(rx))
            .map_err(|e| io(format!("cannot start the writer thread: {e}")))?;
        Ok(Self {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
            paths,
        })
    }

    /// The files of this chain.
    pub fn paths(&self) -> &AuditPaths {
        &self.paths
    }

    fn send(
        &self,
        kind: &str,
        data: Value,
        durable: bool,
    ) -> Result<tokio::sync::oneshot::Receiver<Result<u64, AuditError>>, AuditError> {
        let (ack, rx) = tokio::sync::oneshot::channel();
        let guard = self.tx.lock().unwrap_or_else(|p| p.into_inner());
        let tx = guard.as_ref().ok_or(AuditError::Closed)?;
        tx.send(Msg::Append {
            kind: kind.to_owned(),
            data,
            durable,
            ack,
        })
        .map_err(|_| AuditError::Closed)?;
        Ok(rx)
    }

    /// Append a record. Returns its sequence number once it is written —
    /// and, when `durable`, once it (and everything before it) is on disk.
    ///
    /// # Errors
    ///
    /// [`AuditError`]: the caller must fail closed.
    pub async fn append(&self, kind: &str, data: Value, durable: bool) -> Result<u64, AuditError> {
        self.send(kind, data, durable)?
            .await
            .map_err(|_| AuditError::Closed)?
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
        self.send(kind, data, durable)?
            .blocking_recv()
            .map_err(|_| AuditError::Closed)?
    }

    /// Flush, write a final checkpoint and stop the writer.
    pub fn close(&self) {
        if let Some(tx) = self.tx.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = tx.send(Msg::Stop);
        }
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
    fn run(mut self, rx: Receiver<Msg>) {
        let mut stop = false;
        while !stop {
            let first = match rx.recv_timeout(self.policy.interval) {
                Ok(m) => m,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    self.maybe_checkpoint(false);
                    continue;
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            };
            let mut msgs = vec![first];
            while msgs.len() < 4096 {
                match rx.try_recv() {
                    Ok(m) => msgs.push(m),
                    Err(_) => break,
                }
            }
            let mut items = Vec::new();
            let mut acks = Vec::new();
            for m in msgs {
                match m {
                    Msg::Append {
                        kind,
                        data,
                        durable,
                        ack,
                    } => {
                        items.push((kind, data, durable));
                        acks.push(ack);
                    }
                    Msg::Stop => stop = true,
                }
            }
            if !items.is_empty() {
                let result = self.write_batch(&mut items);
                for (i, ack) in acks.into_iter().enumerate() {
                    let r = match &result {
                        Ok(first_seq) => Ok(first_seq + i as u64),
                        Err(why) => Err(AuditError::Io {
                            path: self.paths.log.clone(),
                            why: why.clone(),
                        }),
                    };
                    let _ = ack.send(r);
                }
                self.maybe_checkpoint(false);
            }
        }
        self.maybe_checkpoint(true);
    }

    /// Write records, under the file lock; returns the first one's seq.
    fn write_batch(&mut self, items: &mut [(String, Value, bool)]) -> Result<u64, String> {
        self.file.lock().map_err(|e| format!("cannot lock: {e}"))?;
        let result = self.write_locked(items);
        let _ = self.file.unlock();
        result
    }

    fn write_locked(&mut self, items: &mut [(String, Value, bool)]) -> Result<u64, String> {
        let len = self.file.metadata().map_err(|e| e.to_string())?.len();
        if len != self.known_len {
            // Another process appended since our last write.
            self.resync(false)?;
        }
        let first = self.last_seq + 1;
        let mut buf = Vec::new();
        let (mut seq, mut prev) = (self.last_seq, self.last_hash.clone());
        let mut durable = false;
        for (kind, data, d) in items.iter_mut() {
            durable |= *d;
            seq += 1;
            let time = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
            let hash = record_hash(seq, &time, kind, &prev, data);
            let record = Record {
                seq,
                time,
                kind: std::mem::take(kind),
                prev: prev.clone(),
                data: std::mem::take(data),
                mac: mac(&self.keys.mac, &hash),
                hash: hash.clone(),
            };
            serde_json::to_writer(&mut buf, &record).map_err(|e| e.to_string())?;
            buf.push(b'\n');
            prev = hash;
        }
        if let Err(e) = self.file.write_all(&buf) {
            // Leave no partial line behind for the next writer.
            let _ = self.file.set_len(self.known_len);
            return Err(format!("cannot write: {e}"));
        }
        if durable && self.policy.fsync {
            self.file
                .sync_data()
                .map_err(|e| format!("cannot sync to disk: {e}"))?;
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

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}
