//! Going on from a verified mark: the seal that binds what was appended
//! to what was verified (the record the mark ends at is still the one it
//! verified, at the same place), the rules in force rebuilt from the
//! releases the mark lists (each read and checked again), and the walk's
//! state restored from the mark (the Merkle tree and the notes' counts
//! are restored before the checkpoints are read: [`notes_from`]).

use crate::audit::ChainFile;
use crate::audit::fault::ChainFault;
use crate::audit::mark::MarkBody;
use crate::audit::tlog::Frontier;
use crate::audit::tlog::check::NoteCheck;
use crate::audit::verify_walk::Walk;

/// Restore `walk` from mark `m` over the log `log`. `Ok(Err(why))` when the
/// log no longer holds what the mark verified where it says (then the
/// chain is verified from its first record, which names the fault).
pub(crate) fn resume(
    walk: &mut Walk<'_>,
    m: &MarkBody,
    log: &mut ChainFile,
) -> Result<Result<(), String>, ChainFault> {
    if m.seq > 0 {
        let last = line_ending_at(log, m.offset)
            .map_err(|e| ChainFault::Io(e.to_string()))?
            .filter(|l| walk.is_record(l, m.seq, &m.head));
        if last.is_none() {
            return Ok(Err(format!(
                "the log does not hold record {} at byte {} where the mark verified it",
                m.seq, m.offset
            )));
        }
    } else if m.offset != 0 {
        return Ok(Err("the mark covers no record, yet ends past byte 0".into()));
    }
    // The rules in force: every release the chain applied, checked again
    // in order (they are few, and their archived documents are read again).
    for a in &m.applied {
        let line = line_at(log, a.offset).map_err(|e| ChainFault::Io(e.to_string()))?;
        if !walk.is_record(&line, a.seq, &a.hash) {
            return Ok(Err(format!(
                "the log does not hold release record {} at byte {} where the mark read it",
                a.seq, a.offset
            )));
        }
        let record =
            serde_json::from_str::<crate::audit::Record>(line.trim_end()).map_err(|e| {
                ChainFault::Unreadable {
                    line: a.seq,
                    why: e.to_string(),
                }
            })?;
        let v = record.v.unwrap_or(1);
        walk.rules(&record, a.seq, v)?;
    }
    walk.applied = m.applied.clone();
    let s = &mut walk.summary;
    s.records = m.seq;
    s.macs_checked = m.counts.macs;
    s.by_stored_bytes = m.counts.by_stored_bytes;
    s.legacy_unsigned = m.counts.legacy_unsigned;
    s.unchecked = m.counts.unchecked;
    walk.line_no = m.seq;
    walk.offset = m.offset;
    walk.prev.clone_from(&m.head);
    walk.newest = m.newest;
    walk.open_calls = m.open_calls.iter().cloned().collect();
    Ok(Ok(()))
}

impl Walk<'_> {
    /// Whether `line` is record `seq` with hash `hash`, its hash and MAC
    /// holding.
    fn is_record(&mut self, line: &str, seq: u64, hash: &str) -> bool {
        let Ok(r) = self.lines.read(line.trim_end_matches('\n'), seq) else {
            return false;
        };
        r.seq() == seq
            && r.hash() == hash
            && r.hash_holds()
            && self
                .keys
                .mac
                .as_ref()
                .is_none_or(|k| self.lines.mac_holds(k, &r))
    }
}

/// The line that ends (with its newline) at byte `end` of `log`; `None`
/// when the byte before `end` is no newline.
fn line_ending_at(log: &mut ChainFile, end: u64) -> std::io::Result<Option<String>> {
    let mut chunk = 64 * 1024u64;
    loop {
        let start = end.saturating_sub(chunk);
        let mut buf = vec![0u8; usize::try_from(end - start).unwrap_or(0)];
        log.read_exact_at(&mut buf, start)?;
        let Some(body) = buf.strip_suffix(b"\n") else {
            return Ok(None);
        };
        if let Some(nl) = body.iter().rposition(|b| *b == b'\n') {
            return Ok(String::from_utf8(body[nl + 1..].to_vec()).ok());
        }
        if start == 0 {
            return Ok(String::from_utf8(body.to_vec()).ok());
        }
        chunk *= 4;
    }
}

/// The line that starts at byte `start` of `log` (without its newline).
fn line_at(log: &mut ChainFile, start: u64) -> std::io::Result<String> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let mut at = start;
    loop {
        let n = log.read_at(&mut buf, at)?;
        if n == 0 {
            break;
        }
        if let Some(nl) = buf[..n].iter().position(|b| *b == b'\n') {
            out.extend_from_slice(&buf[..nl]);
            break;
        }
        out.extend_from_slice(&buf[..n]);
        at += n as u64;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The checkpoint notes' state at mark `m`: its Merkle tree and what its
/// notes showed. `Err(why)` when its tree is not one.
pub(crate) fn notes_from(notes: &mut NoteCheck, m: &MarkBody) -> Result<(), String> {
    let frontier =
        Frontier::resume(m.seq, &m.frontier).map_err(|why| format!("its Merkle tree: {why}"))?;
    notes.resume(frontier, &m.notes);
    Ok(())
}
