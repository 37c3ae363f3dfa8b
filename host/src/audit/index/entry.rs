//! What the index keeps of one record: where it is and what it is looked
//! up by.

use crate::audit::event::Event;
use crate::audit::record::Record;

/// A token record (issued or exchanged).
pub(super) const TOKEN: i64 = 1;
/// A stop button (halt, quarantine, revocation, disabling — and their
/// undoing).
pub(super) const STOP: i64 = 2;
/// A release of the rules applied (`config.applied`).
pub(super) const RULES: i64 = 4;

/// One row of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) seq: i64,
    pub(super) at: i64,
    pub(super) len: i64,
    pub(super) kind: String,
    /// Milliseconds since the epoch; `None` when the time does not read.
    pub(super) time_ms: Option<i64>,
    pub(super) agent: Option<String>,
    pub(super) task: Option<String>,
    pub(super) call_id: Option<String>,
    pub(super) approval: Option<String>,
    pub(super) trace: Option<String>,
    pub(super) flags: i64,
    pub(super) hash: String,
}

impl Entry {
    /// The entry of the line at byte `at` (with its newline), if it is a
    /// record: a line that is not is skipped (`audit verify` reports it).
    pub(super) fn of(at: u64, line: &[u8]) -> Option<Self> {
        let r = serde_json::from_slice::<Record>(line).ok()?;
        Self::from_record(at, line.len() as u64, &r)
    }

    /// The entry of record `r`, read from `len` bytes at `at`.
    pub(super) fn from_record(at: u64, len: u64, r: &Record) -> Option<Self> {
        let mut entry = Self {
            seq: i64::try_from(r.seq).ok()?,
            at: i64::try_from(at).ok()?,
            len: i64::try_from(len).ok()?,
            kind: r.kind.clone(),
            time_ms: time_ms(&r.time),
            agent: None,
            task: None,
            call_id: None,
            approval: None,
            trace: r
                .data
                .get("trace")
                .and_then(|t| t.get("trace_id"))
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
            flags: if r.kind == "config.applied" { RULES } else { 0 },
            hash: r.hash.clone(),
        };
        if let Some(e) = r.event() {
            entry.agent = e.agent().map(str::to_owned);
            entry.task = e.task().map(str::to_owned);
            entry.call_id = e.call_id().map(str::to_owned);
            entry.approval = match &e {
                Event::Call(c) => c.decided.approval_id.clone(),
                Event::CallDecided(d) => d.approval_id.clone(),
                Event::ApprovalRequested(a) => Some(a.approval_id.clone()),
                _ => None,
            };
            if matches!(e, Event::TokenIssued(_) | Event::TokenExchanged(_)) {
                entry.flags |= TOKEN;
            }
            if crate::audit::tally::is_stop(&e) {
                entry.flags |= STOP;
            }
        }
        Some(entry)
    }
}

/// An RFC 3339 time as milliseconds since the epoch.
pub(super) fn time_ms(t: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|t| t.timestamp_millis())
}
