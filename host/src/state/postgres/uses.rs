//! What ran, in PostgreSQL: task history and usage for budgets and
//! policies (`call_uses`).

use super::PostgresState;
use crate::state::{StateError, TaskHistory, Usage, UsageScope};

impl PostgresState {
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
        let (column, value) = match scope {
            UsageScope::Task(t) => ("task", t),
            UsageScope::Agent(a) => ("agent", a),
            UsageScope::Tool(t) => ("tool", t),
        };
        let c = self.client().await?;
        let r = c
            .query_one(
                &format!(
                    "SELECT COUNT(*), COALESCE(SUM(high::int), 0)::bigint, COALESCE(SUM(output), 0)::bigint FROM call_uses WHERE {column} = $1 AND at >= $2"
                ),
                &[value, &since_ms],
            )
            .await
            .map_err(|e| self.err(e))?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(Usage {
            calls: n(r.get(0)),
            high_impact_calls: n(r.get(1)),
            output: n(r.get(2)),
        })
    }
}
