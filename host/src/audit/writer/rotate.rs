//! Sealing the open segment: when it has grown past the configured size
//! (or its first record is older than the configured age), right after a checkpoint covers its last record, it is renamed into
//! `segments/` under the seq of its first record and a new open segment
//! begins. The chain goes on across the boundary (the next record's `prev`
//! is the sealed one's last hash) and keeps its offsets (see
//! [`ChainFile`](crate::audit::ChainFile)).
//!
//! Crash-safe by order: the segment is synced and checkpointed before it
//! is renamed, the rename is atomic, and a writer that finds no open
//! segment, or an empty one, takes the chain's head from the last sealed
//! one. A writer of another process notices the rename when it next locks
//! (its handle is no longer the open segment) and moves to the new one.

use std::fs::File;
use std::io::{BufRead as _, BufReader, Read as _, Seek as _, SeekFrom};
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

use cap_std::fs::{Dir, MetadataExt as _};

use super::file::{Writer, open_segment};
use crate::audit::chain_file::{ChainFile, SEGMENTS_DIR, Segment, segment_name};
use crate::audit::record::{GENESIS, Record};
use crate::privfs::private_subdir;

/// The sealed segments of the chain whose open segment is `log` — those
/// retention moved to an archive included (their stubs say their length).
fn sealed(log: &Path) -> Result<Vec<Segment>, String> {
    let chain = ChainFile::open(log).map_err(|e| format!("{}: {e}", log.display()))?;
    Ok(chain
        .segments()
        .iter()
        .filter(|s| s.first_seq.is_some())
        .cloned()
        .collect())
}

/// The sealed segments' length: the open segment's offset in the chain.
pub(super) fn sealed_len(log: &Path) -> Result<u64, String> {
    Ok(sealed(log)?.iter().map(|s| s.len).sum())
}

/// The last line of `f` (`len` bytes, ending with a newline).
fn last_line(f: &mut File, len: u64) -> Result<Vec<u8>, String> {
    let mut window: u64 = 64 * 1024;
    loop {
        let start = len.saturating_sub(window);
        let mut tail = Vec::new();
        f.seek(SeekFrom::Start(start)).map_err(|e| e.to_string())?;
        f.take(len - start)
            .read_to_end(&mut tail)
            .map_err(|e| e.to_string())?;
        let body = tail.strip_suffix(b"\n").unwrap_or(&tail);
        match body.iter().rposition(|b| *b == b'\n') {
            Some(i) => return Ok(body[i + 1..].to_vec()),
            None if start == 0 => return Ok(body.to_vec()),
            None => window *= 4,
        }
    }
}

impl Writer {
    /// The chain's head in its sealed segments (the genesis when there
    /// are none): where an empty open segment goes on from.
    pub(super) fn sealed_head(&self) -> Result<(u64, String), String> {
        let Some(last) = sealed(&self.paths.log)?.pop() else {
            return Ok((0, GENESIS.to_owned()));
        };
        let name = last.path.display();
        // The chain's own segment, or where retention moved it.
        let mut f = File::open(&last.path).map_err(|e| format!("{name}: {e}"))?;
        let line = last_line(&mut f, last.len)?;
        let r: Record = serde_json::from_slice(&line).map_err(|e| {
            format!("the last record of the sealed segment {name} is corrupt: {e}; run `warrant audit verify`")
        })?;
        Ok((r.seq, r.hash))
    }

    /// The length of this writer's file if it is still the open segment
    /// (one `fstat` of the handle, one `stat` of the name).
    pub(super) fn open_segment_len(&self) -> Result<Option<u64>, String> {
        let mine = self.file.metadata().map_err(|e| e.to_string())?;
        match self.dir.metadata("audit.jsonl") {
            Ok(now) if now.ino() == mine.ino() && now.dev() == mine.dev() => Ok(Some(mine.len())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("audit.jsonl: {e}")),
        }
    }

    /// Move to the open segment another process began.
    pub(super) fn reopen(&mut self) -> Result<(), String> {
        self.file = open_segment(&self.dir)?;
        self.sync_file = std::sync::Arc::new(self.file.try_clone().map_err(|e| e.to_string())?);
        self.base = sealed_len(&self.paths.log)?;
        // Its end is found under the lock, as after any other writer.
        self.known_len = u64::MAX;
        Ok(())
    }

    /// Seal the open segment if it has grown past the segment size (called
    /// right after a checkpoint, which then covers its last record).
    pub(super) fn maybe_rotate(&mut self) {
        let size = self.opts.segment_bytes;
        let big = size > 0 && self.known_len >= size;
        if !big && !self.old_enough() {
            return;
        }
        if let Err(e) = self.file.lock() {
            tracing::error!("audit segment: cannot lock: {e}");
            return;
        }
        match self.rotate_locked() {
            // The handle locked is the sealed segment's now.
            Ok(Some(old)) => {
                let _ = old.unlock();
                self.retain();
            }
            Ok(None) => {
                let _ = self.file.unlock();
            }
            Err(e) => {
                let _ = self.file.unlock();
                tracing::error!(
                    "audit segment: cannot seal the open segment: {e}; it goes on growing until the next checkpoint"
                );
            }
        }
    }

    /// Whether the open segment's first record is older than the segment
    /// age (its time read from the segment's first line).
    fn old_enough(&mut self) -> bool {
        let Some(age) = self.opts.segment_age else {
            return false;
        };
        if self.known_len == 0 {
            return false;
        }
        let began = first_record(&mut self.file)
            .ok()
            .and_then(|r| chrono::DateTime::parse_from_rfc3339(&r.time).ok());
        began.is_some_and(|t| {
            let since = chrono::Utc::now().signed_duration_since(t);
            since.to_std().is_ok_and(|s| s >= age)
        })
    }

    /// Seal the open segment (under its lock) unless another process has
    /// appended or sealed meanwhile; returns the sealed segment's handle,
    /// still locked.
    fn rotate_locked(&mut self) -> Result<Option<File>, String> {
        let len = self.open_segment_len()?;
        if len != Some(self.known_len) {
            // Not what this writer's checkpoint covers: at the next one.
            return Ok(None);
        }
        self.file.sync_data().map_err(|e| e.to_string())?;
        let first = first_record(&mut self.file)?.seq;
        let segs = private_subdir(&self.dir, SEGMENTS_DIR).map_err(|e| e.to_string())?;
        let name = segment_name(first);
        self.dir
            .rename("audit.jsonl", &segs, &name)
            .map_err(|e| format!("cannot move audit.jsonl to {SEGMENTS_DIR}/{name}: {e}"))?;
        sync_dir(&segs)?;
        crate::audit::fault_point("rotation");
        let new = open_segment(&self.dir)?;
        sync_dir(&self.dir)?;
        let old = std::mem::replace(&mut self.file, new);
        self.sync_file = std::sync::Arc::new(self.file.try_clone().map_err(|e| e.to_string())?);
        let bytes = self.known_len;
        self.base += bytes;
        self.known_len = 0;
        tracing::info!("audit: sealed segment {SEGMENTS_DIR}/{name} ({bytes} bytes)");
        Ok(Some(old))
    }
}

/// The first record in `f`.
fn first_record(f: &mut File) -> Result<Record, String> {
    f.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let mut line = Vec::new();
    BufReader::new(&mut *f)
        .read_until(b'\n', &mut line)
        .map_err(|e| e.to_string())?;
    serde_json::from_slice::<Record>(&line)
        .map_err(|e| format!("the open segment's first record: {e}"))
}

/// Make the entries of `dir` durable.
fn sync_dir(dir: &Dir) -> Result<(), String> {
    // A handle of the folder opened for reading: the `Dir` itself may be
    // a path-only handle, which cannot be synced.
    dir.open(".")
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("cannot sync a folder: {e}"))
}
