//! What ran, in PostgreSQL: task history and usage for budgets and
//! policies (`call_uses`).

use deadpool_postgres::GenericClient;

use super::PostgresState;
use crate::state::{CallUse, StateError, TaskHistory, Usage, UsageScope, UseHit, UseLimit};

/// Counts of calls (rate windows, uses, in-flight slots) commit without
/// waiting for the WAL to reach the disk — as SQLite counts them on a
/// connection that does not fsync: still atomic and isolated (every
/// host takes a budget's last unit once), but a crash of the database
/// server itself may forget the last few hundred milliseconds of counts.
/// The audit chain, approvals, stops and releases keep full durability.
pub(super) async fn relaxed(
    tx: &deadpool_postgres::Transaction<'_>,
) -> Result<(), tokio_postgres::Error> {
    tx.batch_execute("SET LOCAL synchronous_commit TO OFF")
        .await
}

impl PostgresState {
    /// Check every limit and count the call in one transaction, holding a
    /// transaction-scoped advisory lock on each limit's scope (taken in
    /// one order, so takers never deadlock): every host of the fleet
    /// takes a budget's last unit exactly once.
    pub(super) async fn take_use(
        &self,
        u: &CallUse,
        limits: &[UseLimit],
    ) -> Result<Result<i64, UseHit>, StateError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(|e| self.err(e))?;
        relaxed(&tx).await.map_err(|e| self.err(e))?;
        let mut keys: Vec<String> = limits.iter().map(UseLimit::lock_key).collect();
        keys.sort();
        keys.dedup();
        for k in &keys {
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 7761))",
                &[k],
            )
            .await
            .map_err(|e| self.err(e))?;
        }
        for (index, l) in limits.iter().enumerate() {
            let used = usage_on(&tx, &l.scope, l.since_ms)
                .await
                .map_err(|e| self.err(e))?;
            if l.reached(&used, u.high) {
                return Ok(Err(UseHit { index, used }));
            }
        }
        let r = tx
            .query_one(
                "INSERT INTO call_uses (task, agent, tool, high, at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[&u.task, &u.agent, &u.tool, &u.high, &u.at],
            )
            .await
            .map_err(|e| self.err(e))?;
        tx.commit().await.map_err(|e| self.err(e))?;
        Ok(Ok(r.get(0)))
    }

    pub(super) async fn write_finish(
        &self,
        id: i64,
        ok: bool,
        output: u64,
    ) -> Result<(), StateError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(|e| self.err(e))?;
        relaxed(&tx).await.map_err(|e| self.err(e))?;
        tx.execute(
            "UPDATE call_uses SET ok = $2, output = $3 WHERE id = $1",
            &[&id, &ok, &i64::try_from(output).unwrap_or(i64::MAX)],
        )
        .await
        .map_err(|e| self.err(e))?;
        tx.commit().await.map_err(|e| self.err(e))?;
        Ok(())
    }

    pub(super) async fn read_history(&self, task: &str) -> Result<TaskHistory, StateError> {
        let c = self.client().await?;
        let mut h = TaskHistory::default();
        for r in c
            .query(
                "SELECT tool, high, ok FROM call_uses WHERE task = $1",
                &[&task],
            )
            .await
            .map_err(|e| self.err(e))?
        {
            let tool: String = r.get(0);
            h.calls += 1;
            h.high_impact_calls += u64::from(r.get::<_, bool>(1));
            if r.get::<_, Option<bool>>(2) == Some(true) {
                h.succeeded.insert(tool.clone());
            }
            h.tools.insert(tool);
        }
        Ok(h)
    }

    pub(super) async fn read_usage(
        &self,
        scope: &UsageScope,
        since_ms: i64,
    ) -> Result<Usage, StateError> {
        let c = self.client().await?;
        usage_on(&c, scope, since_ms).await.map_err(|e| self.err(e))
    }
}

/// The calls of `scope` since `since_ms`, on `c`.
async fn usage_on(
    c: &impl GenericClient,
    scope: &UsageScope,
    since_ms: i64,
) -> Result<Usage, tokio_postgres::Error> {
    let (column, value) = match scope {
        UsageScope::Task(t) => ("task", t),
        UsageScope::Agent(a) => ("agent", a),
        UsageScope::Tool(t) => ("tool", t),
    };
    let r = c
        .query_one(
            &format!(
                "SELECT COUNT(*), COALESCE(SUM(high::int), 0)::bigint, COALESCE(SUM(output), 0)::bigint FROM call_uses WHERE {column} = $1 AND at >= $2"
            ),
            &[value, &since_ms],
        )
        .await?;
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(Usage {
        calls: n(r.get(0)),
        high_impact_calls: n(r.get(1)),
        output: n(r.get(2)),
    })
}
