//! Appending records to the log file: hash, MAC, one write under the file
//! lock, and the reserve used only for outcomes that were reserved.

use std::fs::File;
use std::io::{ErrorKind, Write};
use std::time::Instant;

use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt as _};
use chrono::{SecondsFormat, Utc};

use super::prepared::Prepared;
use super::reserve::{Reservation, Reserve};
use super::{AuditError, AuditOptions, AuditPaths};
use crate::audit::event::{Event, FORMAT_VERSION};
use crate::audit::keys::AuditKeys;
use crate::audit::record::{GENESIS, Head, encode_line, finish_hash, mac};

/// The log file and where the chain stands.
pub(super) struct Writer {
    pub(super) file: File,
    /// A second handle on the open segment, for fsync without the writer.
    pub(super) sync_file: std::sync::Arc<File>,
    pub(super) paths: AuditPaths,
    /// The chain's offset of the open segment (the sealed ones' length).
    pub(super) base: u64,
    /// The open segment's length as this writer knows it.
    pub(super) known_len: u64,
    pub(super) last_seq: u64,
    pub(super) last_hash: String,
    pub(super) keys: AuditKeys,
    pub(super) opts: AuditOptions,
    pub(super) since_checkpoint: u64,
    pub(super) last_checkpoint: Instant,
    pub(super) reserve: Reserve,
    pub(super) dir: Dir,
    /// Where new checkpoints go to be cosigned, when witnesses are set.
    pub(super) witnesses: Option<tokio::sync::mpsc::UnboundedSender<crate::audit::Checkpoint>>,
    /// Reused for every line.
    buf: Vec<u8>,
}

impl Writer {
    /// Open (creating, mode 0600) the log in `dir`, and its reserve.
    pub(super) fn open(
        dir: &Dir,
        paths: AuditPaths,
        keys: AuditKeys,
        opts: AuditOptions,
    ) -> Result<Self, String> {
        let file = open_segment(dir)?;
        let reserve = Reserve::open(dir, opts.reserve)?;
        Ok(Self {
            sync_file: std::sync::Arc::new(file.try_clone().map_err(|e| e.to_string())?),
            file,
            base: super::rotate::sealed_len(&paths.log)?,
            paths,
            known_len: 0,
            last_seq: 0,
            last_hash: GENESIS.to_owned(),
            keys,
            opts,
            since_checkpoint: 0,
            last_checkpoint: Instant::now(),
            reserve,
            dir: dir.try_clone().map_err(|e| e.to_string())?,
            witnesses: None,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Where the chain ends: the offset after the last record written.
    pub(super) fn end(&self) -> u64 {
        self.base.saturating_add(self.known_len)
    }

    /// Recover a torn tail left by a crash; returns the bytes cut.
    pub(super) fn recover(&mut self) -> Result<u64, String> {
        self.file.lock().map_err(|e| format!("cannot lock: {e}"))?;
        let recovered = self.resync(true);
        let _ = self.file.unlock();
        recovered
    }

    /// fsync the log.
    pub(super) fn sync(&self) -> Result<(), String> {
        self.file.sync_data().map_err(|e| e.to_string())
    }

    /// Write one record under the file lock; returns its seq. A record
    /// written under `reservation` may use the reserve when the volume is
    /// full; any other record needs the reserve intact.
    pub(super) fn write_event(
        &mut self,
        event: &Event,
        reservation: Option<&Reservation>,
    ) -> Result<u64, AuditError> {
        let prepared = Prepared::of(event)
            .map_err(|e| self.io(format!("cannot serialise a {} record: {e}", event.kind())))?;
        self.write_prepared(&prepared, reservation)
    }

    /// [`Writer::write_event`] of a record made ready beforehand.
    pub(super) fn write_prepared(
        &mut self,
        record: &Prepared,
        reservation: Option<&Reservation>,
    ) -> Result<u64, AuditError> {
        let len = self.lock_open_segment().map_err(|e| self.io(e))?;
        let result = self.write_locked(len, record, reservation);
        let _ = self.file.unlock();
        result
    }

    fn write_locked(
        &mut self,
        len: u64,
        record: &Prepared,
        reservation: Option<&Reservation>,
    ) -> Result<u64, AuditError> {
        if len != self.known_len {
            // Another process appended since our last write.
            self.resync(false).map_err(|e| self.io(e))?;
        }
        if reservation.is_none() && !self.reserve.restore() {
            return Err(AuditError::Full {
                path: self.paths.log.clone(),
                why: "the reserve for the outcomes of running calls cannot be kept".into(),
            });
        }
        let seq = self.last_seq + 1;
        let time = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let head = Head {
            v: Some(FORMAT_VERSION),
            seq,
            time: &time,
            host: self.opts.host_id.as_deref(),
            kind: record.kind,
            prev: &self.last_hash,
        };
        // The data's part of the hash was computed before the lock.
        let hash = finish_hash(record.hasher.clone(), head);
        let mac = mac(&self.keys.mac, &hash);
        self.buf.clear();
        encode_line(head, &record.data, &hash, &mac, &mut self.buf);
        self.buf.push(b'\n');
        if let Err(e) = self.append_buf() {
            let full = e.kind() == ErrorKind::StorageFull;
            if !(full && reservation.is_some()) {
                return Err(if full {
                    AuditError::Full {
                        path: self.paths.log.clone(),
                        why: e.to_string(),
                    }
                } else {
                    self.io(format!("cannot write: {e}"))
                });
            }
            // The volume filled up while the call ran: its outcome goes
            // into the space the reserve held for it.
            tracing::warn!("audit volume full: writing a reserved outcome from the reserve");
            self.reserve.release(self.buf.len() as u64);
            self.append_buf()
                .map_err(|e| self.io(format!("cannot write even from the reserve: {e}")))?;
        }
        self.known_len += self.buf.len() as u64;
        self.last_seq = seq;
        self.last_hash = hash;
        self.since_checkpoint += 1;
        Ok(seq)
    }

    /// Append the line; on failure leave no partial line behind.
    fn append_buf(&mut self) -> std::io::Result<()> {
        if let Err(e) = self.file.write_all(&self.buf) {
            let _ = self.file.set_len(self.known_len);
            return Err(e);
        }
        Ok(())
    }

    /// Lock the open segment — after another process sealed the one this
    /// writer had open, the new one — and return its length.
    pub(super) fn lock_open_segment(&mut self) -> Result<u64, String> {
        loop {
            self.file.lock().map_err(|e| format!("cannot lock: {e}"))?;
            if let Some(len) = self.open_segment_len()? {
                return Ok(len);
            }
            let _ = self.file.unlock();
            self.reopen()?;
        }
    }

    pub(super) fn io(&self, why: String) -> AuditError {
        AuditError::Io {
            path: self.paths.log.clone(),
            why,
        }
    }
}

/// Open (creating, mode 0600) the open segment in `dir`.
pub(super) fn open_segment(dir: &Dir) -> Result<File, String> {
    let mut o = OpenOptions::new();
    o.read(true).append(true).create(true).mode(0o600);
    Ok(dir
        .open_with("audit.jsonl", &o)
        .map_err(|e| e.to_string())?
        .into_std())
}
