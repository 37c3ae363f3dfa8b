//! A synthetic audit chain: real records — chained, hashed and MACed
//! exactly as the writer makes them ([`warrant::audit::seal_line`]) —
//! written as fast as they can be, for measuring `audit verify` at a
//! year's scale (`warrant-bench --audit-scale N`) without making the calls.
//!
//! Mostly `call` records the size of a real one (~1 KB, with arguments and
//! a prompt, so each commits to redactable fields by digest), each with
//! its own call id, [`TASK_RECORDS`] consecutive ones to a task
//! ([`synthetic_task`]); one in 500 is a `config.reloaded`.

use std::io::Write as _;
use std::path::Path;

use serde_json::json;
use warrant::audit::{Event, GENESIS, Sealing, committed, seal_line};
use warrant::vocab::to_canonical;

/// The host every synthetic record names.
pub const SYNTHETIC_HOST: &str = "host-0a1b2c3d4e5f6789";

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Records.
    pub records: u64,
    /// Bytes of the log.
    pub bytes: u64,
}

/// One kind of record, as templates of its canonical data and of the form
/// its hash commits to, with where the call id's digits sit in each.
struct Template {
    kind: &'static str,
    data: Vec<u8>,
    hashed: Vec<u8>,
    /// The offsets of the call id's digits in `data` and `hashed`.
    digits: Option<(usize, usize)>,
    /// The offsets of the task's digits.
    task_digits: Option<(usize, usize)>,
}

const PLACEHOLDER: &str = "call-000000000000";
const TASK_PLACEHOLDER: &str = "task-000000000000";

/// The calls of one synthetic task.
pub const TASK_RECORDS: u64 = 50;

/// The task of the synthetic record `seq` (a `call`): every
/// [`TASK_RECORDS`] records make one.
pub fn synthetic_task(seq: u64) -> String {
    format!("task-{:012}", seq / TASK_RECORDS)
}

/// The call id of the synthetic record `seq` (a `call`).
pub fn synthetic_call_id(seq: u64) -> String {
    format!("call-{:012}", seq % 1_000_000_000_000)
}

impl Template {
    fn of(event: &Event) -> Self {
        let value = event.data();
        let data = to_canonical(&value);
        let hashed = committed(&value).map_or_else(|| data.clone(), |c| to_canonical(&c));
        let at = |b: &[u8], what: &str| {
            b.windows(what.len())
                .position(|w| w == what.as_bytes())
                .map(|p| p + "call-".len())
        };
        let digits = at(&data, PLACEHOLDER).zip(at(&hashed, PLACEHOLDER));
        let task_digits = at(&data, TASK_PLACEHOLDER).zip(at(&hashed, TASK_PLACEHOLDER));
        Self {
            kind: event.kind(),
            data,
            hashed,
            digits,
            task_digits,
        }
    }

    /// Put the task of record `seq` in.
    fn set_task(&mut self, seq: u64) {
        if let Some((d, h)) = self.task_digits {
            let digits = format!("{:012}", (seq / TASK_RECORDS) % 1_000_000_000_000);
            self.data[d..d + 12].copy_from_slice(digits.as_bytes());
            self.hashed[h..h + 12].copy_from_slice(digits.as_bytes());
        }
    }

    /// Put `id` (12 digits) in as the call id.
    fn set_call(&mut self, id: u64) {
        if let Some((d, h)) = self.digits {
            let digits = format!("{:012}", id % 1_000_000_000_000);
            self.data[d..d + 12].copy_from_slice(digits.as_bytes());
            self.hashed[h..h + 12].copy_from_slice(digits.as_bytes());
        }
    }
}

fn call() -> anyhow::Result<Event> {
    Ok(Event::from_parts(
        "call",
        &json!({
            "call_id": PLACEHOLDER, "channel": "mcp", "tool": "case-note.append", "token_id": "tok-0123456789abcdef01",
            "agent": "triage-bot", "agent_owner": "alice@soc.example", "model": "claude-sonnet-4-5", "model_owner": "soc-platform-team",
            "task": TASK_PLACEHOLDER, "plugin": "case-note", "plugin_version": "0.1.0",
            "component_digest": "sha256:9d73ef75979f09a87825b6a1cc97f53c509c6bc6b56396d63c63ea718eab1b93",
            "manifest_digest": "sha256:9d73ef75979f09a87825b6a1cc97f53c509c6bc6b56396d63c63ea718eab1b93",
            "signer": "example-secops-2026", "action_owner": "soc-tier2", "impact": "read",
            "input_digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000", "input_size": 64,
            "args": {"case_id": "INC-2026-0042", "note": "Blocked 203.0.113.45 at the edge"},
            "decision": {"result": "allow", "layer": "policy", "policies": ["baseline-permit"], "reason": ""},
            "prompt": "record the containment step on the case", "context": null,
            "outcome": "ok", "duration_ms": 12, "output_size": 40, "uses": [],
            "output_digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        }),
    )?)
}

fn reloaded() -> anyhow::Result<Event> {
    Ok(Event::from_parts(
        "config.reloaded",
        &json!({"trigger": "signal", "loaded": ["case-note"], "unloaded": [], "cancelled_calls": 0, "applied": true}),
    )?)
}

/// Write a chain of `records` records to `log` (replacing it), MACed
/// under `mac_key`.
///
/// # Errors
///
/// When the file cannot be written.
pub fn write_synthetic_chain(log: &Path, records: u64, mac_key: &[u8]) -> anyhow::Result<Written> {
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00.000Z")?;
    let out = std::fs::File::create(log)?;
    // A year of records, evenly spread.
    let time = |seq: u64| {
        start + chrono::Duration::milliseconds((seq * 31_536_000_000 / records.max(1)) as i64)
    };
    seal_records(out, 1..=records, GENESIS.to_owned(), time, mac_key)
}

/// Append `records` more records to the synthetic chain in `log`, going on
/// from its last record (its seq, hash and time, a millisecond apart), as
/// a host appends to a chain already verified.
///
/// # Errors
///
/// When the file cannot be read or written, or its last line is not a
/// record.
pub fn append_synthetic_chain(log: &Path, records: u64, mac_key: &[u8]) -> anyhow::Result<Written> {
    let last = last_record(log)?;
    let start = chrono::DateTime::parse_from_rfc3339(&last.time)?;
    let out = std::fs::OpenOptions::new().append(true).open(log)?;
    let time = |seq: u64| start + chrono::Duration::milliseconds((seq - last.seq) as i64);
    seal_records(
        out,
        last.seq + 1..=last.seq + records,
        last.hash.clone(),
        time,
        mac_key,
    )
}

/// The last record of the chain in `log`, read from its end.
fn last_record(log: &Path) -> anyhow::Result<warrant::audit::Record> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let mut f = std::fs::File::open(log)?;
    let len = f.metadata()?.len();
    let mut window = 64 * 1024u64;
    loop {
        let from = len.saturating_sub(window);
        let mut tail = Vec::new();
        f.seek(SeekFrom::Start(from))?;
        (&mut f).take(len - from).read_to_end(&mut tail)?;
        let body = tail.strip_suffix(b"\n").unwrap_or(&tail);
        match body.iter().rposition(|b| *b == b'\n') {
            Some(i) => return Ok(serde_json::from_slice(&body[i + 1..])?),
            None if from == 0 => return Ok(serde_json::from_slice(body)?),
            None => window *= 4,
        }
    }
}

/// Seal the records `seqs` after the one whose hash is `prev`, each at
/// `time(seq)`, onto `out`.
fn seal_records<T: chrono::TimeZone>(
    out: std::fs::File,
    seqs: std::ops::RangeInclusive<u64>,
    mut prev: String,
    time: impl Fn(u64) -> chrono::DateTime<T>,
    mac_key: &[u8],
) -> anyhow::Result<Written>
where
    T::Offset: std::fmt::Display,
{
    let mut call = Template::of(&call()?);
    let reloaded = Template::of(&reloaded()?);
    anyhow::ensure!(call.digits.is_some(), "the call template has no call id");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
    let mut line = Vec::with_capacity(2048);
    let (mut records, mut bytes) = (0u64, 0u64);
    for seq in seqs {
        let time = time(seq).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let t = if seq.is_multiple_of(500) {
            &reloaded
        } else {
            call.set_call(seq);
            call.set_task(seq);
            &call
        };
        line.clear();
        let s = Sealing {
            seq,
            time: &time,
            host: Some(SYNTHETIC_HOST),
            kind: t.kind,
            prev: &prev,
        };
        prev = seal_line(s, &t.data, &t.hashed, mac_key, &mut line);
        line.push(b'\n');
        out.write_all(&line)?;
        records += 1;
        bytes += line.len() as u64;
    }
    out.flush()?;
    Ok(Written { records, bytes })
}
