//! Leases in PostgreSQL ([`crate::state::leases`]): a slice of a rate
//! window is events that carry their lease id; a slice of a budget is rows
//! of `call_uses` marked reserved (counted by every budget, not yet in the
//! task's history).

use deadpool_postgres::GenericClient;

use super::tx::Pg;
use crate::state::leased::LeaseTx;
use crate::state::{CallUse, StateError};

impl<C: GenericClient> LeaseTx for Pg<'_, C> {
    async fn give_back_rate(&mut self, key: &str, lease: i64, n: i64) -> Result<(), StateError> {
        self.run(
            "DELETE FROM rate_events WHERE ctid IN \
             (SELECT ctid FROM rate_events WHERE key = $1 AND lease = $2 LIMIT $3)",
            &[&key, &lease, &n],
        )
        .await
        .map(|_| ())
    }

    async fn new_rate_lease(&mut self) -> Result<i64, StateError> {
        self.c
            .query_one("SELECT nextval('rate_leases')", &[])
            .await
            .map(|r| r.get(0))
            .map_err(|e| self.err(e))
    }

    async fn insert_rate_lease(
        &mut self,
        key: &str,
        at: i64,
        lease: i64,
        n: i64,
    ) -> Result<(), StateError> {
        self.run(
            "INSERT INTO rate_events (key, at, lease) \
             SELECT $1, $2, $3 FROM generate_series(1::bigint, $4::bigint)",
            &[&key, &at, &lease, &n],
        )
        .await
        .map(|_| ())
    }

    async fn reserve_uses(&mut self, u: &CallUse, at: i64, n: i64) -> Result<Vec<i64>, StateError> {
        let rows = self
            .c
            .query(
                "INSERT INTO call_uses (task, agent, tool, high, at, reserved) \
                 SELECT $1, $2, $3, $4, $5, TRUE FROM generate_series(1::bigint, $6::bigint) \
                 RETURNING id",
                &[&u.task, &u.agent, &u.tool, &u.high, &at, &n],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn give_back_uses(&mut self, ids: &[i64]) -> Result<Vec<CallUse>, StateError> {
        let rows = self
            .c
            .query(
                "DELETE FROM call_uses WHERE id = ANY($1::bigint[]) AND reserved AND ok IS NULL \
                 RETURNING task, agent, tool, high, at",
                &[&ids],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows
            .iter()
            .map(|r| CallUse {
                task: r.get(0),
                agent: r.get(1),
                tool: r.get(2),
                high: r.get(3),
                at: r.get(4),
            })
            .collect())
    }
}
