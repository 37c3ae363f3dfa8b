//! The index database: its schema, where it stands in the chain (offsets
//! are the chain's, across its segments: see `ChainFile`), and
//! catching up with what was appended — in batches, each one transaction
//! that moves the rows and the position together, so that a process killed
//! mid-update leaves an index that is complete up to its position.

use std::io::{BufRead as _, BufReader, Seek as _, SeekFrom};
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};

use super::entry::Entry;
use crate::audit::ChainFile;

/// The schema's version: an index of another version is rebuilt.
const SCHEMA: i64 = 1;

/// Records indexed per transaction.
pub(super) const BATCH: usize = 20_000;

const CREATE: &str = "
CREATE TABLE IF NOT EXISTS position (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    schema INTEGER NOT NULL,
    scanned INTEGER NOT NULL,
    last_at INTEGER,
    last_len INTEGER,
    last_hash TEXT
);
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    len INTEGER NOT NULL,
    kind TEXT NOT NULL,
    time_ms INTEGER,
    agent TEXT,
    task TEXT,
    call_id TEXT,
    approval TEXT,
    trace TEXT,
    flags INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS records_task ON records(task) WHERE task IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_agent ON records(agent, time_ms) WHERE agent IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_call ON records(call_id) WHERE call_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_approval ON records(approval) WHERE approval IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_trace ON records(trace) WHERE trace IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_time ON records(time_ms);
CREATE INDEX IF NOT EXISTS records_flags ON records(flags) WHERE flags != 0;
";

/// Where the index stands: the chain bytes indexed (a line boundary) and
/// the last record indexed, by which a replaced or cut chain is noticed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Position {
    pub(super) scanned: u64,
    pub(super) last: Option<(u64, u64, String)>,
}

/// Open (creating) the index database at `path`.
pub(super) fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(2))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // The index is rebuilt from the chain at will: a power cut may cost
    // its last batches, never its consistency (WAL).
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(CREATE)?;
    let schema: Option<i64> = conn
        .query_row("SELECT schema FROM position WHERE id = 1", [], |r| r.get(0))
        .optional()?;
    if schema.is_some_and(|s| s != SCHEMA) {
        conn.execute_batch("DELETE FROM records; DELETE FROM position;")?;
    }
    conn.set_prepared_statement_cache_capacity(16);
    Ok(conn)
}

/// Where the index stands (nothing indexed when it has no position).
pub(super) fn position(conn: &Connection) -> rusqlite::Result<Position> {
    Ok(conn
        .query_row(
            "SELECT scanned, last_at, last_len, last_hash FROM position WHERE id = 1",
            [],
            |r| {
                let at: Option<i64> = r.get(1)?;
                let len: Option<i64> = r.get(2)?;
                let hash: Option<String> = r.get(3)?;
                Ok(Position {
                    scanned: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                    last: at.zip(len).zip(hash).map(|((a, l), h)| {
                        (
                            u64::try_from(a).unwrap_or(0),
                            u64::try_from(l).unwrap_or(0),
                            h,
                        )
                    }),
                })
            },
        )
        .optional()?
        .unwrap_or_default())
}

/// Whether the chain in `f` (of `len` bytes) still holds, where the index
/// says, the last record it indexed.
fn still_holds(f: &mut ChainFile, len: u64, p: &Position) -> bool {
    if p.scanned > len {
        return false;
    }
    let Some((at, n, hash)) = &p.last else {
        // Nothing indexed but lines that are not records.
        return true;
    };
    let mut line = vec![0; usize::try_from(*n).unwrap_or(0)];
    f.read_exact_at(&mut line, *at).is_ok()
        && Entry::of(*at, &line).is_some_and(|e| e.hash == *hash)
}

/// Index what was appended to `log` since the index's position, at most
/// `batches` transactions of [`BATCH`] records; `forget` starts again from
/// the chain's first byte. Returns the records indexed and whether the
/// chain's end was reached.
pub(super) fn catch_up(
    conn: &mut Connection,
    log: &Path,
    forget: bool,
    batches: usize,
) -> Result<(u64, bool), String> {
    let mut f = ChainFile::open(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut indexed = 0;
    for _ in 0..batches {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| e.to_string())?;
        let mut p = position(&tx).map_err(|e| e.to_string())?;
        let len = f.len();
        if (forget && indexed == 0) || !still_holds(&mut f, len, &p) {
            // A chain replaced or cut under the index: index it anew.
            tx.execute_batch("DELETE FROM records; DELETE FROM position;")
                .map_err(|e| e.to_string())?;
            p = Position::default();
        }
        let (n, end) = batch(&tx, &mut f, &mut p)?;
        tx.execute(
            "INSERT INTO position (id, schema, scanned, last_at, last_len, last_hash)
             VALUES (1, ?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET scanned = ?2, last_at = ?3, last_len = ?4,
                 last_hash = ?5",
            params![
                SCHEMA,
                i64::try_from(p.scanned).unwrap_or(i64::MAX),
                p.last.as_ref().map(|l| l.0 as i64),
                p.last.as_ref().map(|l| l.1 as i64),
                p.last.as_ref().map(|l| l.2.clone()),
            ],
        )
        .map_err(|e| e.to_string())?;
        tx.commit().map_err(|e| e.to_string())?;
        indexed += n;
        if end {
            return Ok((indexed, true));
        }
    }
    Ok((indexed, false))
}

/// Index up to [`BATCH`] whole lines of `f` from `p`'s position, moving it.
fn batch(
    tx: &rusqlite::Transaction<'_>,
    f: &mut ChainFile,
    p: &mut Position,
) -> Result<(u64, bool), String> {
    f.seek(SeekFrom::Start(p.scanned))
        .map_err(|e| e.to_string())?;
    let mut reader = BufReader::with_capacity(1 << 20, &mut *f);
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO records (seq, at, len, kind, time_ms, agent, task, call_id, approval,
                 trace, flags)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .map_err(|e| e.to_string())?;
    let mut line = Vec::with_capacity(4096);
    let mut n = 0;
    while n < BATCH as u64 {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| e.to_string())?;
        if read == 0 || line.last() != Some(&b'\n') {
            // The end, or a line still being written: the next catch-up.
            return Ok((n, true));
        }
        let at = p.scanned;
        p.scanned += read as u64;
        let Some(e) = Entry::of(at, &line) else {
            continue;
        };
        insert
            .execute(params![
                e.seq, e.at, e.len, e.kind, e.time_ms, e.agent, e.task, e.call_id, e.approval,
                e.trace, e.flags
            ])
            .map_err(|e| e.to_string())?;
        p.last = Some((at, read as u64, e.hash));
        n += 1;
    }
    Ok((n, false))
}

/// A digest of everything the index holds (its rows in order and its
/// position), to compare two indexes of one chain.
pub(super) fn digest(conn: &Connection) -> rusqlite::Result<String> {
    let mut text = String::new();
    let mut st = conn.prepare(
        "SELECT seq, at, len, kind, time_ms, agent, task, call_id, approval, trace, flags
             FROM records ORDER BY id",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        for i in 0..11 {
            let v: rusqlite::types::Value = r.get(i)?;
            text.push_str(&format!("{v:?}\t"));
        }
        text.push('\n');
    }
    text.push_str(&format!("{:?}", position(conn)?));
    Ok(crate::keys::sha256_hex(text.as_bytes()))
}
