//! Rate windows in PostgreSQL, shared by the fleet: one advisory lock per
//! window, so hosts counting the same window at once take turns.

use super::PostgresState;
use crate::state::{LimitHit, RateRule, StateError};

impl PostgresState {
    pub(super) async fn admit_rules(
        &self,
        rules: &[RateRule],
        now_ms: i64,
    ) -> Result<Result<(), LimitHit>, StateError> {
        if rules.is_empty() {
            return Ok(Ok(()));
        }
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(|e| self.err(e))?;
        super::uses::relaxed(&tx).await.map_err(|e| self.err(e))?;
        // One lock per window, always taken in the same order: hosts
        // counting the same window at once take turns.
        let mut keys: Vec<&str> = rules.iter().map(|r| r.key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        for k in &keys {
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))",
                &[k],
            )
            .await
            .map_err(|e| self.err(e))?;
        }
        for r in rules {
            let window = i64::try_from(r.per.as_millis()).unwrap_or(i64::MAX);
            tx.execute(
                "DELETE FROM rate_events WHERE key = $1 AND at <= $2",
                &[&r.key, &now_ms.saturating_sub(window)],
            )
            .await
            .map_err(|e| self.err(e))?;
            let n: i64 = tx
                .query_one("SELECT COUNT(*) FROM rate_events WHERE key = $1", &[&r.key])
                .await
                .map_err(|e| self.err(e))?
                .get(0);
            if n >= i64::from(r.calls) {
                tx.commit().await.map_err(|e| self.err(e))?;
                return Ok(Err(LimitHit {
                    key: r.key.clone(),
                    limit: r.text.clone(),
                }));
            }
        }
        for r in rules {
            tx.execute(
                "INSERT INTO rate_events (key, at) VALUES ($1, $2)",
                &[&r.key, &now_ms],
            )
            .await
            .map_err(|e| self.err(e))?;
        }
        tx.commit().await.map_err(|e| self.err(e))?;
        Ok(Ok(()))
    }
}
