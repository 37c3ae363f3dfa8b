//! Retention: sealed segments older than `[audit] retain` are moved to
//! the `[audit] archive` folder (another volume, a mounted share), each
//! leaving a stub (`segments/<first seq>.archived`: where it went, its
//! length, digest and records) so that the chain keeps its offsets and
//! readers know where to look. Crash-safe by order: the copy is synced
//! and renamed into place before the stub is written, and the stub
//! before the segment is removed; a segment found both here and archived
//! is read from here (and moved again at the next seal).

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use chrono::{SecondsFormat, Utc};

use super::file::Writer;
use crate::audit::chain_file::{Archived, SEGMENTS_DIR};
use crate::audit::record::Record;

/// A retention pass is running (one at a time per process).
static RUNNING: AtomicBool = AtomicBool::new(false);

impl Writer {
    /// Move the sealed segments older than the retention period to the
    /// archive, from a thread of its own (after a seal: copying a segment
    /// must not hold up the calls).
    pub(super) fn retain(&mut self) {
        let (Some(period), Some(archive)) = (self.opts.retain, self.opts.archive.clone()) else {
            return;
        };
        let Ok(segs) = self.dir.open_dir(SEGMENTS_DIR) else {
            return;
        };
        if RUNNING.swap(true, Ordering::AcqRel) {
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("warrant-audit-retain".into())
            .spawn(move || {
                if let Err(e) = retain_in(&segs, period, &archive) {
                    tracing::error!(
                        "audit retention: {e}; the segment stays where it is and is moved at the next seal"
                    );
                }
                RUNNING.store(false, Ordering::Release);
            });
        if spawned.is_err() {
            RUNNING.store(false, Ordering::Release);
        }
    }
}

/// Move the segments in `segs` sealed longer than `period` ago.
fn retain_in(segs: &cap_std::fs::Dir, period: Duration, archive: &Path) -> Result<(), String> {
    let mut names: Vec<String> = segs
        .entries()
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".jsonl") && n.len() == 26)
        .collect();
    names.sort();
    let now = SystemTime::now();
    for name in names {
        let modified = segs
            .metadata(&name)
            .and_then(|m| m.modified())
            .map_err(|e| format!("{name}: {e}"))?
            .into_std();
        if now.duration_since(modified).unwrap_or_default() < period {
            // Sealed in order: the later ones are younger still.
            break;
        }
        let stub = move_out(segs, &name, archive)?;
        let stub_name = name.replace(".jsonl", ".archived");
        let text = serde_json::to_vec(&stub).map_err(|e| e.to_string())?;
        let tmp = format!("{stub_name}.tmp");
        segs.write(&tmp, &text)
            .and_then(|()| segs.rename(&tmp, segs, &stub_name))
            .map_err(|e| format!("{stub_name}: {e}"))?;
        segs.open(".")
            .and_then(|d| d.sync_all())
            .map_err(|e| e.to_string())?;
        segs.remove_file(&name)
            .map_err(|e| format!("cannot remove {name} once archived: {e}"))?;
        tracing::info!(
            "audit retention: moved {SEGMENTS_DIR}/{name} to {}",
            archive.display()
        );
    }
    Ok(())
}

/// Copy segment `name` into `archive` (synced, renamed into place) and
/// say what was moved.
///
/// # Ambient Authority
///
/// Writes into the archive folder the operator's config names (another
/// volume or a share, like the witness file).
fn move_out(segs: &cap_std::fs::Dir, name: &str, archive: &Path) -> Result<Archived, String> {
    let mut bytes = Vec::new();
    segs.open(name)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| format!("{name}: {e}"))?;
    let records = |line: Option<&[u8]>| {
        line.and_then(|l| serde_json::from_slice::<Record>(l).ok())
            .map(|r| r.seq)
            .ok_or_else(|| format!("{name}: not a sealed segment (its records do not read)"))
    };
    let mut lines = bytes
        .strip_suffix(b"\n")
        .unwrap_or(&bytes)
        .split(|b| *b == b'\n');
    let first_seq = records(lines.next())?;
    let last_seq = records(lines.next_back()).unwrap_or(first_seq);
    std::fs::create_dir_all(archive).map_err(|e| format!("{}: {e}", archive.display()))?;
    let tmp = archive.join(format!("{name}.tmp"));
    let err = |e: std::io::Error| format!("{}: {e}", archive.display());
    let mut f = std::fs::File::create(&tmp).map_err(err)?;
    f.write_all(&bytes)
        .and_then(|()| f.sync_all())
        .map_err(err)?;
    std::fs::rename(&tmp, archive.join(name)).map_err(err)?;
    std::fs::File::open(archive)
        .and_then(|d| d.sync_all())
        .map_err(err)?;
    Ok(Archived {
        moved_to: std::fs::canonicalize(archive).map_err(err)?,
        len: bytes.len() as u64,
        sha256: crate::keys::sha256_hex(&bytes),
        first_seq,
        last_seq,
        time: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
    })
}
