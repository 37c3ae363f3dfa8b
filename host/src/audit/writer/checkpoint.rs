//! Writing checkpoints: after every `every` records, after `interval` with
//! new records (from an idle-time thread), and a final one on close — each
//! appended to the chain's checkpoints file and to the witness, if any.

use std::io::Write as _;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use cap_std::fs::{OpenOptions, OpenOptionsExt as _};
use chrono::{SecondsFormat, Utc};

use super::commit::Shared;
use super::file::Writer;
use crate::audit::checkpoint::Checkpoint;
use crate::audit::tlog::{TreeFile, sign_checkpoint};

impl Writer {
    /// Write a checkpoint if one is due (or `force`d and anything is new).
    pub(super) fn maybe_checkpoint(&mut self, force: bool) {
        let due = self.since_checkpoint >= self.opts.every
            || (self.since_checkpoint > 0
                && (force || self.last_checkpoint.elapsed() >= self.opts.interval));
        if !due {
            return;
        }
        if let Err(e) = self.checkpoint() {
            tracing::error!("audit checkpoint failed: {e}");
            return;
        }
        self.since_checkpoint = 0;
        self.last_checkpoint = Instant::now();
        self.maybe_rotate();
    }

    fn checkpoint(&mut self) -> Result<(), String> {
        let time = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let mut cp = Checkpoint::sign(
            &self.keys.checkpoint,
            self.last_seq,
            &self.last_hash,
            &time,
            self.opts.host_id.as_deref(),
        );
        match self.note() {
            Ok(note) => cp.note = Some(note),
            // The signed head above still checkpoints the chain; verify
            // says which checkpoints have no note.
            Err(e) => tracing::error!("audit checkpoint note: {e}"),
        }
        let mut line = serde_json::to_vec(&cp).map_err(|e| e.to_string())?;
        line.push(b'\n');
        let mut o = OpenOptions::new();
        o.append(true).create(true).mode(0o600);
        let mut f = self
            .dir
            .open_with("checkpoints.jsonl", &o)
            .map_err(|e| e.to_string())?;
        f.write_all(&line).map_err(|e| e.to_string())?;
        f.sync_data().map_err(|e| e.to_string())?;
        if let Some(w) = &self.opts.witness {
            // The witness is a file the operator placed elsewhere (another
            // volume, a mounted share) on purpose: ambient authority.
            if let Some(parent) = w.parent()
                && !parent.as_os_str().is_empty()
            {
                let _ = std::fs::create_dir_all(parent);
            }
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(w)
                .map_err(|e| format!("witness {}: {e}", w.display()))?;
            f.write_all(&line)
                .and_then(|()| f.sync_data())
                .map_err(|e| format!("witness {}: {e}", w.display()))?;
        }
        if let Some(tx) = &self.witnesses {
            let _ = tx.send(cp);
        }
        Ok(())
    }

    /// The checkpoint as a signed note: the tree caught up with the chain
    /// (under the chain's file lock: other processes append too), its root
    /// at this writer's last record.
    fn note(&mut self) -> Result<String, String> {
        self.file.lock().map_err(|e| format!("cannot lock: {e}"))?;
        let root = TreeFile::open(&self.dir).and_then(|mut t| {
            let mut chain = crate::audit::ChainFile::open(&self.paths.log)
                .map_err(|e| format!("{}: {e}", self.paths.log.display()))?;
            t.catch_up(&mut chain)?;
            t.root(self.last_seq)
        });
        let _ = self.file.unlock();
        sign_checkpoint(self.last_seq, root?, &self.keys.checkpoint)
    }
}

/// The checkpoint thread: a signed checkpoint after `interval` with new
/// records even when no more calls come; a final one (after a sync) on
/// close.
pub(super) fn idle_loop(shared: &Shared, rx: &Receiver<()>, interval: Duration) {
    while let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(interval) {
        shared
            .writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .maybe_checkpoint(false);
    }
    let mut w = shared.writer.lock().unwrap_or_else(|p| p.into_inner());
    if w.opts.fsync {
        let _ = w.sync();
    }
    w.maybe_checkpoint(true);
}
