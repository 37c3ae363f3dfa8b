//! Disk space held back for the outcomes of calls that were allowed to run.
//!
//! A call's decision is written before its tool runs and its outcome after.
//! If the volume filled up in between, the tool's side effect would have no
//! outcome record. So the writer keeps a file of real (not sparse) bytes
//! beside the log, `reserve.bin`, and every call takes a claim on a slice of
//! it when its decision is written ([`Reservation`]). An outcome written
//! under a claim that meets a full volume truncates the reserve by what it
//! needs and is written into the freed space; until the reserve can be
//! filled again, no record without a claim is written — no new call starts.

use std::fs::File;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt as _};

/// Room one call's outcome record may need.
pub(crate) const PER_CALL: u64 = 16 * 1024;

/// The reserve file and the claims on it.
pub(super) struct Reserve {
    file: Option<File>,
    target: u64,
    len: u64,
    pub(super) claims: Arc<AtomicUsize>,
}

impl Reserve {
    /// Open `reserve.bin` in `dir` and fill it to `target` bytes (a target
    /// of 0 keeps no reserve).
    pub(super) fn open(dir: &Dir, target: u64) -> Result<Self, String> {
        let claims = Arc::new(AtomicUsize::new(0));
        if target == 0 {
            return Ok(Self {
                file: None,
                target,
                len: 0,
                claims,
            });
        }
        let mut o = OpenOptions::new();
        o.read(true).write(true).create(true).mode(0o600);
        let file = dir
            .open_with("reserve.bin", &o)
            .map_err(|e| format!("cannot open the audit reserve: {e}"))?
            .into_std();
        let len = file.metadata().map_err(|e| e.to_string())?.len();
        let mut r = Self {
            file: Some(file),
            target,
            len,
            claims,
        };
        if !r.restore() {
            return Err(format!(
                "cannot set aside {} bytes for the audit reserve: the volume is full",
                target
            ));
        }
        Ok(r)
    }

    /// How many calls the reserve can hold outcomes for.
    pub(super) fn capacity(&self) -> usize {
        if self.file.is_none() {
            return usize::MAX;
        }
        usize::try_from(self.target / PER_CALL).unwrap_or(usize::MAX)
    }

    /// Fill the reserve back to its target; false when the volume has no
    /// room for it.
    pub(super) fn restore(&mut self) -> bool {
        let Some(f) = self.file.as_mut() else {
            return true;
        };
        if self.len >= self.target {
            return true;
        }
        let zeros = vec![0u8; 64 * 1024];
        while self.len < self.target {
            let n = usize::try_from((self.target - self.len).min(zeros.len() as u64))
                .unwrap_or(zeros.len());
            let at = std::io::Seek::seek(f, std::io::SeekFrom::Start(self.len));
            if at.is_err() || f.write_all(&zeros[..n]).is_err() {
                let _ = f.set_len(self.len);
                return false;
            }
            self.len += n as u64;
        }
        f.sync_data().is_ok()
    }

    /// Give `needed` bytes (rounded up to whole 64 KiB) back to the volume.
    pub(super) fn release(&mut self, needed: u64) {
        let Some(f) = self.file.as_mut() else {
            return;
        };
        let step = needed.div_ceil(64 * 1024).max(1) * 64 * 1024;
        self.len = self.len.saturating_sub(step);
        let _ = f.set_len(self.len);
    }
}

/// A claim on the reserve, held from a call's decision to its outcome.
#[derive(Debug)]
pub struct Reservation {
    claims: Arc<AtomicUsize>,
}

impl Reservation {
    pub(super) fn take(claims: &Arc<AtomicUsize>, capacity: usize) -> Option<Self> {
        claims
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < capacity).then_some(n + 1)
            })
            .ok()
            .map(|_| Self {
                claims: Arc::clone(claims),
            })
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.claims.fetch_sub(1, Ordering::AcqRel);
    }
}
