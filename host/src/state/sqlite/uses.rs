//! The calls that ran, for task history and budgets: written on the
//! second connection (no fsync: a lost row after a crash only forgets a
//! call, and the audit chain still has it).

use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};

use super::SqliteState;
use crate::state::{CallUse, StateError, TaskHistory, Usage, UsageScope, UseHit, UseLimit};

impl SqliteState {
    /// Check every limit and count the call in one `IMMEDIATE` transaction:
    /// SQLite's write lock on the file serialises every process on it.
    pub(super) fn take_use(
        &self,
        u: &CallUse,
        limits: &[UseLimit],
    ) -> Result<Result<i64, UseHit>, StateError> {
        let mut c = self.rates.lock().unwrap_or_else(|p| p.into_inner());
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        for (index, l) in limits.iter().enumerate() {
            let used = usage_on(&tx, &l.scope, l.since_ms).map_err(|e| self.err(e))?;
            if l.reached(&used, u.high) {
                return Ok(Err(UseHit { index, used }));
            }
        }
        tx.prepare_cached(
            "INSERT INTO call_uses (task, agent, tool, high, at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut st| st.execute(params![u.task, u.agent, u.tool, u.high, u.at]))
        .map_err(|e| self.err(e))?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(|e| self.err(e))?;
        Ok(Ok(id))
    }

    pub(super) fn write_finish(&self, id: i64, ok: bool, output: u64) -> Result<(), StateError> {
        let c = self.rates.lock().unwrap_or_else(|p| p.into_inner());
        c.prepare_cached("UPDATE call_uses SET ok = ?2, output = ?3 WHERE id = ?1")
            .and_then(|mut st| {
                st.execute(params![id, ok, i64::try_from(output).unwrap_or(i64::MAX)])
            })
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub(super) fn read_history(&self, task: &str) -> Result<TaskHistory, StateError> {
        let c = self.rates.lock().unwrap_or_else(|p| p.into_inner());
        let mut st = c
            .prepare_cached("SELECT tool, high, ok FROM call_uses WHERE task = ?1")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params![task], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, bool>(1)?,
                    r.get::<_, Option<bool>>(2)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut h = TaskHistory::default();
        for row in rows {
            let (tool, high, ok) = row.map_err(|e| self.err(e))?;
            h.calls += 1;
            h.high_impact_calls += u64::from(high);
            if ok == Some(true) {
                h.succeeded.insert(tool.clone());
            }
            h.tools.insert(tool);
        }
        Ok(h)
    }

    pub(super) fn read_usage(&self, scope: &UsageScope, since: i64) -> Result<Usage, StateError> {
        let c = self.rates.lock().unwrap_or_else(|p| p.into_inner());
        usage_on(&c, scope, since).map_err(|e| self.err(e))
    }
}

/// The calls of `scope` since `since`, on `c`.
fn usage_on(c: &Connection, scope: &UsageScope, since: i64) -> Result<Usage, rusqlite::Error> {
    let (column, value) = match scope {
        UsageScope::Task(t) => ("task", t),
        UsageScope::Agent(a) => ("agent", a),
        UsageScope::Tool(t) => ("tool", t),
    };
    let sql = format!(
        "SELECT COUNT(*), COALESCE(SUM(high), 0), COALESCE(SUM(output), 0) FROM call_uses WHERE {column} = ?1 AND at >= ?2"
    );
    let row: Option<(i64, i64, i64)> = c.prepare_cached(&sql).and_then(|mut st| {
        st.query_row(params![value, since], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()
    })?;
    let (calls, high, output) = row.unwrap_or_default();
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(Usage {
        calls: n(calls),
        high_impact_calls: n(high),
        output: n(output),
    })
}
