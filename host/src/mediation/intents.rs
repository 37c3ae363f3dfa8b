//! The journal of calls about to run: the write-ahead half of a call's one
//! audit record (format 9).
//!
//! A call allowed to run is recorded once, in the chain, after it ran —
//! its decision and its outcome in one `call` record, durable before the
//! answer leaves. So that no tool runs unrecorded, its decision is first
//! written ahead, before the tool runs, as one MACed line appended to this
//! process's journal: its own lock file, `live/<prefix>.lock` in the state
//! directory (see `recovery`), which no other process writes. A crash or a
//! kill while the tool runs leaves the line behind; the next process to
//! start on the state finds the dead process's journal and records each
//! call written ahead there and missing from the chain as
//! `call.interrupted`, carrying the decision. `warrant audit verify` lists
//! such calls as open until then.
//!
//! A line costs one `write` to a file no other process touches: no chain
//! hash, no lock, no fsync (like the decision record it replaces, which was
//! written before the tool ran and made durable with the outcome). The
//! journal is emptied when no call is in flight and it has grown past
//! [`EMPTY_AFTER`]; a clean stop removes it.
//!
//! Line format: the hex HMAC-SHA256 (the audit MAC key) of
//! `warrant/v1 call-intent\n` and the JSON, a space, the JSON of an
//! [`Intent`], a newline.

use std::fs::File;
use std::io::Write as _;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

use crate::audit::event::{CallDecided, CallEnded};
use crate::audit::{AuditError, Reservation};
use crate::telemetry::spans::stage;
use crate::vocab::canon::{Entries, canonical_entries, merge, write_entries};

/// Empty the journal once it is this large and no call is in flight.
pub(crate) const EMPTY_AFTER: u64 = 1024 * 1024;

const DOMAIN: &[u8] = b"warrant/v1 call-intent\n";

/// The MAC of a line's JSON, not yet finalised.
fn mac_of(key: &[u8], json: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length.
    let mut mac = <Hmac<Sha256>>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(DOMAIN);
    mac.update(json);
    mac
}

/// One call written ahead: when, and its decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Intent {
    /// When it was decided (RFC 3339, ms).
    pub(crate) at: String,
    /// The decision part of its record.
    pub(crate) call: CallDecided,
}

/// This process's journal.
#[derive(Debug)]
pub(crate) struct Journal {
    inner: Mutex<Open>,
    key: Vec<u8>,
}

#[derive(Debug)]
struct Open {
    file: File,
    len: u64,
    in_flight: usize,
}

impl Journal {
    /// The journal in `file` (opened for appending, empty), MACed with
    /// `key`.
    pub(crate) fn new(file: File, key: Vec<u8>) -> Self {
        Self {
            inner: Mutex::new(Open {
                file,
                len: 0,
                in_flight: 0,
            }),
            key,
        }
    }

    /// Write a call ahead, before its tool runs: its decision, as the
    /// canonical entries its record will hold (`vocab::canon`).
    ///
    /// # Errors
    ///
    /// When the line cannot be written: the call must not run.
    pub(crate) fn intend(&self, call: &Entries) -> std::io::Result<()> {
        let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        // The line is made and MACed before the lock; only its write is
        // under it.
        let mut line = Vec::with_capacity(2048);
        line.resize(65, b' ');
        line.extend_from_slice(b"{\"at\":");
        let _ = serde_json::to_writer(&mut line, &at);
        line.extend_from_slice(b",\"call\":");
        write_entries(call, &mut line);
        line.push(b'}');
        let mac = hex::encode(mac_of(&self.key, &line[65..]).finalize().into_bytes());
        line[..64].copy_from_slice(mac.as_bytes());
        line.push(b'\n');
        let mut o = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = o.file.write_all(&line) {
            // No torn line stays behind to be mistaken for a call.
            let _ = o.file.set_len(o.len);
            return Err(e);
        }
        o.len += line.len() as u64;
        o.in_flight += 1;
        Ok(())
    }

    /// A call written ahead is recorded in the chain. (A call whose record
    /// could not be written is never marked done: should this process
    /// die, the next one records it as interrupted.)
    pub(crate) fn recorded(&self) {
        let mut o = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        o.in_flight = o.in_flight.saturating_sub(1);
        if o.in_flight == 0 && o.len > EMPTY_AFTER && o.file.set_len(0).is_ok() {
            o.len = 0;
        }
    }
}

impl crate::mediation::Host {
    /// Take room in the audit volume for the record of a call about to
    /// run, and write its decision ahead to the journal; returns the
    /// reservation and the decision's canonical entries, which the call's
    /// record reuses.
    pub(super) fn write_ahead(
        &self,
        decided: &CallDecided,
    ) -> Result<(Reservation, Entries), AuditError> {
        let _s = stage("warrant.audit.ahead").entered();
        let io = |why: String| AuditError::Io {
            path: self.inner.audit.paths().log.clone(),
            why,
        };
        let entries = canonical_entries(decided)
            .map_err(|e| io(format!("cannot serialise the decision: {e}")))?
            .ok_or_else(|| io("a decision is an object".into()))?;
        let reservation = self.inner.audit.reserve()?;
        self.inner.intents.intend(&entries).map_err(|e| {
            io(format!(
                "the journal of calls about to run cannot be written: {e}"
            ))
        })?;
        Ok((reservation, entries))
    }

    /// The one record of a call written ahead: the decision's entries and
    /// the outcome's, durable, under the call's reservation.
    pub(super) async fn record_ahead(
        &self,
        decided: Entries,
        ended: &CallEnded,
        reservation: Reservation,
    ) -> Result<u64, AuditError> {
        let ended = canonical_entries(ended)
            .ok()
            .flatten()
            .ok_or_else(|| AuditError::Io {
                path: self.inner.audit.paths().log.clone(),
                why: "cannot serialise the outcome".into(),
            })?;
        self.inner
            .audit
            .append_entries("call", merge(decided, ended), Some(reservation), true)
            .await
    }
}

/// The calls written ahead in a journal's bytes whose MAC verifies under
/// `key`; a torn last line (a crash during its write: that call never
/// ran) and lines that do not verify are skipped, the latter counted.
pub(crate) fn read(bytes: &[u8], key: &[u8]) -> (Vec<Intent>, usize) {
    let mut out = Vec::new();
    let mut forged = 0;
    let mut lines = bytes.split(|b| *b == b'\n').peekable();
    while let Some(line) = lines.next() {
        if lines.peek().is_none() {
            // After the last newline: empty, or torn.
            break;
        }
        let (Some(mac), Some(json)) = (line.get(..64), line.get(65..)) else {
            forged += 1;
            continue;
        };
        let good = hex::decode(mac).is_ok_and(|m| mac_of(key, json).verify_slice(&m).is_ok());
        match serde_json::from_slice::<Intent>(json) {
            Ok(i) if good => out.push(i),
            _ => forged += 1,
        }
    }
    (out, forged)
}

/// The calls written ahead to the journals in `live` (the state
/// directory's `live/`, every process's, alive or dead) that have no
/// record ending them in the chain at `log`: running now, or cut short by
/// a crash their host records at its next start. Lines that do not verify
/// under `key` are counted, not listed.
///
/// # Errors
///
/// When the folder or the chain cannot be read.
pub fn pending(
    live: &cap_std::fs::Dir,
    key: &[u8],
    log: &std::path::Path,
) -> std::io::Result<(Vec<String>, usize)> {
    let mut ids = std::collections::BTreeSet::new();
    let mut forged = 0;
    for entry in live.entries()? {
        let name = entry?.file_name();
        if !name.to_string_lossy().ends_with(".lock") {
            continue;
        }
        let (intents, bad) = read(&live.read(&name).unwrap_or_default(), key);
        forged += bad;
        ids.extend(intents.into_iter().filter_map(|i| i.call.who.call_id));
    }
    if !ids.is_empty() {
        for r in crate::audit::read_records(log, &crate::audit::Filter::default())? {
            if crate::audit::event::is_end_kind(&r.kind)
                && let Some(id) = r.str("call_id")
            {
                ids.remove(id);
            }
        }
    }
    Ok((ids.into_iter().collect(), forged))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::event::{Attribution, Decision, DecisionResult};

    fn call(id: &str) -> CallDecided {
        CallDecided {
            who: Attribution {
                call_id: Some(id.into()),
                tool: Some("files.read".into()),
                ..Attribution::default()
            },
            input_digest: "sha256:00".into(),
            input_size: 2,
            args: None,
            prompt: None,
            context: None,
            decision: Decision {
                result: DecisionResult::Allow,
                layer: "policy".into(),
                policies: vec!["p1".into()],
                reason: String::new(),
            },
            approval: None,
            approval_id: None,
            degraded: None,
        }
    }

    /// A journal in a fresh folder (kept alive by the first value), and
    /// its file.
    fn journal() -> (tempfile::TempDir, std::path::PathBuf, Journal) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        (dir, path, Journal::new(file, b"key".to_vec()))
    }

    fn entries(c: &CallDecided) -> Entries {
        canonical_entries(c).unwrap().unwrap()
    }

    #[test]
    fn lines_written_ahead_read_back_and_forgeries_do_not() {
        let (_dir, path, j) = journal();
        j.intend(&entries(&call("call-a-1"))).unwrap();
        j.intend(&entries(&call("call-a-2"))).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let (read_back, forged) = read(&bytes, b"key");
        assert_eq!(forged, 0);
        assert_eq!(read_back.len(), 2);
        assert_eq!(read_back[1].call, call("call-a-2"));
        // Under another key nothing verifies.
        assert_eq!(read(&bytes, b"other"), (Vec::new(), 2));
        // An edited line is refused; a torn last line is skipped.
        let text = String::from_utf8(bytes.clone()).unwrap();
        let edited = text.replacen("call-a-1", "call-a-9", 1);
        assert_eq!(read(edited.as_bytes(), b"key").1, 1);
        let torn = &bytes[..bytes.len() - 10];
        assert_eq!(read(torn, b"key"), (read_back[..1].to_vec(), 0));
    }

    #[test]
    fn the_journal_empties_when_idle_and_large() {
        let (_dir, path, j) = journal();
        let mut n = 0;
        while std::fs::metadata(&path).unwrap().len() <= EMPTY_AFTER {
            j.intend(&entries(&call(&format!("call-a-{n}")))).unwrap();
            n += 1;
        }
        j.intend(&entries(&call("call-a-last"))).unwrap();
        for _ in 0..n {
            j.recorded();
        }
        // One call still in flight: nothing is dropped.
        assert!(std::fs::metadata(&path).unwrap().len() > EMPTY_AFTER);
        j.recorded();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        j.intend(&entries(&call("call-a-next"))).unwrap();
        let (after, _) = read(&std::fs::read(&path).unwrap(), b"key");
        assert_eq!(after.len(), 1);
    }
}
