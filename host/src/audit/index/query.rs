//! A lookup: which records, asked of the database and of the chain's tail
//! the database has not seen yet.

use std::path::Path;

use rusqlite::Connection;
use rusqlite::types::Value as Sql;

use super::db;
use super::entry::Entry;
use crate::audit::ChainFile;
use crate::audit::query::Filter;
use crate::audit::record::Record;

/// What records to look up; every field given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Only this call's.
    pub call_id: Option<String>,
    /// Only this task's.
    pub task: Option<String>,
    /// Only this agent's.
    pub agent: Option<String>,
    /// Only the records of this approval request (the request and the
    /// call it held).
    pub approval: Option<String>,
    /// Only the records of calls made in this W3C trace.
    pub trace: Option<String>,
    /// Only at or after this time (milliseconds since the epoch).
    pub since_ms: Option<i64>,
    /// Only records with these flags (token, stop).
    pub(super) flags: i64,
}

/// Where a record is: its offset and length in the chain, and its seq.
pub(super) type Spot = (u64, u64, u64);

impl Query {
    /// The lookup that narrows `filter` down (the filter itself then
    /// decides each record).
    pub fn of(f: &Filter) -> Self {
        Self {
            call_id: f.call_id.clone(),
            task: f.task.clone(),
            agent: f.agent.clone(),
            approval: None,
            trace: f.trace.clone(),
            since_ms: f.since.map(|s| s.timestamp_millis()),
            flags: 0,
        }
    }

    /// Whether it asks for every record.
    pub fn is_everything(&self) -> bool {
        *self == Self::default()
    }

    fn matches(&self, e: &Entry) -> bool {
        let same = |want: &Option<String>, have: &Option<String>| {
            want.as_ref().is_none_or(|w| have.as_ref() == Some(w))
        };
        same(&self.call_id, &e.call_id)
            && same(&self.task, &e.task)
            && same(&self.agent, &e.agent)
            && same(&self.approval, &e.approval)
            && same(&self.trace, &e.trace)
            && self
                .since_ms
                .is_none_or(|s| e.time_ms.is_some_and(|t| t >= s))
            && e.flags & self.flags == self.flags
    }

    /// The spots the database holds, and how far into the chain it has
    /// read (one read transaction: the two agree).
    pub(super) fn rows(&self, conn: &mut Connection) -> rusqlite::Result<(Vec<Spot>, u64)> {
        let tx = conn.transaction()?;
        let scanned = db::position(&tx)?.scanned;
        let mut sql = String::from("SELECT at, len, seq FROM records WHERE 1 = 1");
        let mut args: Vec<Sql> = Vec::new();
        for (column, value) in [
            ("call_id", &self.call_id),
            ("task", &self.task),
            ("agent", &self.agent),
            ("approval", &self.approval),
            ("trace", &self.trace),
        ] {
            if let Some(v) = value {
                sql.push_str(&format!(" AND {column} = ?"));
                args.push(Sql::Text(v.clone()));
            }
        }
        if let Some(s) = self.since_ms {
            sql.push_str(" AND time_ms >= ?");
            args.push(Sql::Integer(s));
        }
        if self.flags != 0 {
            sql.push_str(" AND flags != 0 AND (flags & ?) = ?");
            args.push(Sql::Integer(self.flags));
            args.push(Sql::Integer(self.flags));
        }
        sql.push_str(" ORDER BY id");
        let spots = {
            let mut st = tx.prepare_cached(&sql)?;
            st.query_map(rusqlite::params_from_iter(args), |r| {
                Ok((
                    u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                    u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                    u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
        };
        tx.finish()?;
        Ok((spots, scanned))
    }

    /// The records at `spots` — each read back from the chain and checked
    /// against the lookup — then those of the chain from `scanned` on.
    pub(super) fn read(
        &self,
        log: &Path,
        spots: &[Spot],
        scanned: u64,
    ) -> std::io::Result<Vec<Record>> {
        let mut f = ChainFile::open(log)?;
        let mut out = Vec::with_capacity(spots.len());
        let mut line = Vec::new();
        for &(at, len, seq) in spots {
            line.resize(usize::try_from(len).unwrap_or(0), 0);
            let read = f.read_exact_at(&mut line, at);
            let record = read
                .ok()
                .and_then(|()| serde_json::from_slice::<Record>(&line).ok())
                .filter(|r| {
                    r.seq == seq && Entry::from_record(at, len, r).is_some_and(|e| self.matches(&e))
                });
            let Some(r) = record else {
                // The chain is not what the index saw (it was replaced
                // since): the chain is the truth.
                tracing::warn!("the audit index is stale (record {seq}); reading the whole chain");
                return self.scan(log, 0);
            };
            out.push(r);
        }
        out.extend(self.scan(log, scanned)?);
        Ok(out)
    }

    /// The records of the chain from byte `from` that the lookup asks for.
    pub(super) fn scan(&self, log: &Path, from: u64) -> std::io::Result<Vec<Record>> {
        let f = ChainFile::open(log)?;
        let mut out = Vec::new();
        crate::audit::tail::appended(f, from, |at, line| {
            if let Ok(r) = serde_json::from_slice::<Record>(line)
                && Entry::from_record(at, line.len() as u64, &r).is_some_and(|e| self.matches(&e))
            {
                out.push(r);
            }
        })?;
        Ok(out)
    }
}
