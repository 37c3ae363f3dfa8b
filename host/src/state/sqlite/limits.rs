//! Counts in SQLite — rate windows (`rate_events`) and the calls that ran
//! (`call_uses`) — on the second connection (no fsync: a lost row after a
//! crash only forgets a call, and the audit chain still has it). No
//! in-flight slots: each process counts its own.

use std::ops::Deref;

use rusqlite::{Connection, OptionalExtension as _, params};

use super::{Lite, SqliteState};
use crate::state::limits::{self, Limits, LimitsTx, scope_column, usage_of};
use crate::state::{CallUse, LimitHit, RateRule, StateError, TaskHistory, Usage, UsageScope};
use crate::state::{UseHit, UseLimit};

impl<C: Deref<Target = Connection>> LimitsTx for Lite<'_, C> {
    async fn prune_rate(&mut self, key: &str, at_or_before: i64) -> Result<(), StateError> {
        self.run(
            "DELETE FROM rate_events WHERE key = ?1 AND at <= ?2",
            params![key, at_or_before],
        )
        .map(|_| ())
    }

    async fn count_rate(&mut self, key: &str) -> Result<i64, StateError> {
        self.c
            .prepare_cached("SELECT COUNT(*) FROM rate_events WHERE key = ?1")
            .and_then(|mut st| st.query_row(params![key], |r| r.get(0)))
            .map_err(|e| self.err(e))
    }

    async fn insert_rate(&mut self, key: &str, at: i64) -> Result<(), StateError> {
        self.run(
            "INSERT INTO rate_events (key, at) VALUES (?1, ?2)",
            params![key, at],
        )
        .map(|_| ())
    }

    async fn usage(&mut self, scope: &UsageScope, since_ms: i64) -> Result<Usage, StateError> {
        let (column, value) = scope_column(scope);
        let sql = format!(
            "SELECT COUNT(*), COALESCE(SUM(high), 0), COALESCE(SUM(output), 0) FROM call_uses WHERE {column} = ?1 AND at >= ?2"
        );
        let row: Option<(i64, i64, i64)> = self
            .c
            .prepare_cached(&sql)
            .and_then(|mut st| {
                st.query_row(params![value, since_ms], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
            })
            .map_err(|e| self.err(e))?;
        let (calls, high, output) = row.unwrap_or_default();
        Ok(usage_of(calls, high, output))
    }

    async fn insert_use(&mut self, u: &CallUse) -> Result<i64, StateError> {
        self.c
            .prepare_cached(
                "INSERT INTO call_uses (task, agent, tool, high, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut st| st.execute(params![u.task, u.agent, u.tool, u.high, u.at]))
            .map_err(|e| self.err(e))?;
        Ok(self.c.last_insert_rowid())
    }

    async fn finish_use(
        &mut self,
        id: i64,
        ok: bool,
        output: i64,
    ) -> Result<Option<CallUse>, StateError> {
        self.c
            .prepare_cached(
                "UPDATE call_uses SET ok = ?2, output = ?3 WHERE id = ?1 AND ok IS NULL \
                 RETURNING task, agent, tool, high, at",
            )
            .and_then(|mut st| {
                st.query_row(params![id, ok, output], |r| {
                    Ok(CallUse {
                        task: r.get(0)?,
                        agent: r.get(1)?,
                        tool: r.get(2)?,
                        high: r.get(3)?,
                        at: r.get(4)?,
                    })
                })
                .optional()
            })
            .map_err(|e| self.err(e))
    }

    async fn use_total(&mut self, key: &str) -> Result<Usage, StateError> {
        let row: Option<(i64, i64, i64)> = self
            .c
            .prepare_cached("SELECT calls, high, output FROM use_totals WHERE scope = ?1")
            .and_then(|mut st| {
                st.query_row(params![key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()
            })
            .map_err(|e| self.err(e))?;
        let (calls, high, output) = row.unwrap_or_default();
        Ok(usage_of(calls, high, output))
    }

    async fn add_total(
        &mut self,
        key: &str,
        calls: i64,
        high: i64,
        output: i64,
    ) -> Result<(), StateError> {
        self.run(
            "INSERT INTO use_totals (scope, calls, high, output) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (scope) DO UPDATE SET calls = calls + excluded.calls, \
             high = high + excluded.high, output = output + excluded.output",
            params![key, calls, high, output],
        )
        .map(|_| ())
    }

    async fn uses_of(
        &mut self,
        task: &str,
    ) -> Result<Vec<(String, bool, Option<bool>)>, StateError> {
        let mut st = self
            .c
            .prepare_cached("SELECT tool, high, ok FROM call_uses WHERE task = ?1")
            .map_err(|e| self.err(e))?;
        st.query_map(params![task], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }
}

#[async_trait::async_trait]
impl Limits for SqliteState {
    async fn admit(
        &self,
        rules: &[RateRule],
        now_ms: i64,
    ) -> Result<Result<(), LimitHit>, StateError> {
        if rules.is_empty() {
            return Ok(Ok(()));
        }
        self.write(&self.rates, async |tx| {
            limits::admit(tx, rules, now_ms).await
        })
    }

    async fn record_use(
        &self,
        u: &CallUse,
        limits: &[UseLimit],
    ) -> Result<Result<i64, UseHit>, StateError> {
        self.write(&self.rates, async |tx| {
            limits::record_use(tx, u, limits).await
        })
    }

    async fn finish_use(&self, id: i64, ok: bool, output: u64) -> Result<(), StateError> {
        self.write(&self.rates, async |tx| {
            limits::finish_use(tx, id, ok, output).await
        })
    }

    async fn task_history(&self, task: &str) -> Result<TaskHistory, StateError> {
        self.read(&self.rates, async |r| limits::task_history(r, task).await)
    }

    async fn usage(&self, scope: &UsageScope, since_ms: i64) -> Result<Usage, StateError> {
        self.read(&self.rates, async |mut r| r.usage(scope, since_ms).await)
    }
}
