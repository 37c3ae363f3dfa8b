//! Counts in PostgreSQL, shared by the fleet — rate windows
//! (`rate_events`), the calls that ran (`call_uses`), in-flight slots
//! (`inflight_slots`) — committed with relaxed durability
//! ([`PostgresState::counting`]).

use deadpool_postgres::GenericClient;

use super::PostgresState;
use super::tx::Pg;
use crate::state::leased;
use crate::state::limits::{self, Limits, LimitsTx, SlotsTx, scope_column, usage_of};
use crate::state::{CallUse, LimitHit, RateRule, StateError, TaskHistory, Usage, UsageScope};
use crate::state::{UseHit, UseLimit};

impl<C: GenericClient> LimitsTx for Pg<'_, C> {
    async fn prune_rate(&mut self, key: &str, at_or_before: i64) -> Result<(), StateError> {
        self.run(
            "DELETE FROM rate_events WHERE key = $1 AND at <= $2",
            &[&key, &at_or_before],
        )
        .await
        .map(|_| ())
    }

    async fn count_rate(&mut self, key: &str) -> Result<i64, StateError> {
        self.c
            .query_one("SELECT COUNT(*) FROM rate_events WHERE key = $1", &[&key])
            .await
            .map(|r| r.get(0))
            .map_err(|e| self.err(e))
    }

    async fn insert_rate(&mut self, key: &str, at: i64) -> Result<(), StateError> {
        self.run(
            "INSERT INTO rate_events (key, at) VALUES ($1, $2)",
            &[&key, &at],
        )
        .await
        .map(|_| ())
    }

    async fn usage(&mut self, scope: &UsageScope, since_ms: i64) -> Result<Usage, StateError> {
        let (column, value) = scope_column(scope);
        let r = self
            .c
            .query_one(
                &format!(
                    "SELECT COUNT(*), COALESCE(SUM(high::int), 0)::bigint, COALESCE(SUM(output), 0)::bigint FROM call_uses WHERE {column} = $1 AND at >= $2"
                ),
                &[&value, &since_ms],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(usage_of(r.get(0), r.get(1), r.get(2)))
    }

    async fn insert_use(&mut self, u: &CallUse) -> Result<i64, StateError> {
        self.c
            .query_one(
                "INSERT INTO call_uses (task, agent, tool, high, at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[&u.task, &u.agent, &u.tool, &u.high, &u.at],
            )
            .await
            .map(|r| r.get(0))
            .map_err(|e| self.err(e))
    }

    async fn finish_use(
        &mut self,
        id: i64,
        ok: bool,
        output: i64,
    ) -> Result<Option<CallUse>, StateError> {
        let row = self
            .c
            .query_opt(
                "UPDATE call_uses SET ok = $2, output = $3, reserved = FALSE \
                 WHERE id = $1 AND ok IS NULL RETURNING task, agent, tool, high, at",
                &[&id, &ok, &output],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(row.map(|r| CallUse {
            task: r.get(0),
            agent: r.get(1),
            tool: r.get(2),
            high: r.get(3),
            at: r.get(4),
        }))
    }

    async fn use_total(&mut self, key: &str) -> Result<Usage, StateError> {
        let row = self
            .c
            .query_opt(
                "SELECT calls, high, output FROM use_totals WHERE scope = $1",
                &[&key],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(row.map_or_else(Usage::default, |r| usage_of(r.get(0), r.get(1), r.get(2))))
    }

    async fn add_total(
        &mut self,
        key: &str,
        calls: i64,
        high: i64,
        output: i64,
    ) -> Result<(), StateError> {
        self.run(
            "INSERT INTO use_totals (scope, calls, high, output) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (scope) DO UPDATE SET calls = use_totals.calls + excluded.calls, \
             high = use_totals.high + excluded.high, output = use_totals.output + excluded.output",
            &[&key, &calls, &high, &output],
        )
        .await
        .map(|_| ())
    }

    async fn uses_of(
        &mut self,
        task: &str,
    ) -> Result<Vec<(String, bool, Option<bool>)>, StateError> {
        let rows = self
            .c
            .query(
                "SELECT tool, high, ok FROM call_uses WHERE task = $1 AND NOT reserved",
                &[&task],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }
}

impl<C: GenericClient> SlotsTx for Pg<'_, C> {
    async fn prune_slots(&mut self, key: &str, now: i64) -> Result<(), StateError> {
        self.run(
            "DELETE FROM inflight_slots WHERE key = $1 AND expires <= $2",
            &[&key, &now],
        )
        .await
        .map(|_| ())
    }

    async fn count_slots(&mut self, key: &str) -> Result<i64, StateError> {
        self.c
            .query_one(
                "SELECT COUNT(*) FROM inflight_slots WHERE key = $1",
                &[&key],
            )
            .await
            .map(|r| r.get(0))
            .map_err(|e| self.err(e))
    }

    async fn new_lease(&mut self) -> Result<i64, StateError> {
        self.c
            .query_one("SELECT nextval('slot_leases')", &[])
            .await
            .map(|r| r.get(0))
            .map_err(|e| self.err(e))
    }

    async fn insert_slot(
        &mut self,
        lease: i64,
        key: &str,
        expires_ms: i64,
        owner: &str,
    ) -> Result<(), StateError> {
        self.run(
            "INSERT INTO inflight_slots (lease, key, expires, owner) VALUES ($1, $2, $3, $4)",
            &[&lease, &key, &expires_ms, &owner],
        )
        .await
        .map(|_| ())
    }
}

#[async_trait::async_trait]
impl Limits for PostgresState {
    async fn admit(
        &self,
        rules: &[RateRule],
        now_ms: i64,
    ) -> Result<Result<(), LimitHit>, StateError> {
        if rules.is_empty() || self.rate_leases.take(rules, now_ms) {
            return Ok(Ok(()));
        }
        // A slice of each window, giving back what this process did not
        // use of the ones before.
        let returned = self
            .rate_leases
            .surrender(rules.iter().map(|r| r.key.as_str()));
        let mut c = self.client().await?;
        let taken = leased::admit(self.counting(&mut c).await?, rules, now_ms, &returned).await?;
        Ok(taken.map(|slices| {
            for (key, slice) in slices {
                self.rate_leases.hold(&key, slice);
            }
        }))
    }

    async fn record_use(
        &self,
        u: &CallUse,
        limits: &[UseLimit],
    ) -> Result<Result<i64, UseHit>, StateError> {
        let key = (u.task.clone(), u.agent.clone(), u.tool.clone());
        if let Some(id) = self.use_leases.take(&key, u.at) {
            return Ok(Ok(id));
        }
        let returned = self.use_leases.surrender(&key);
        let mut c = self.client().await?;
        let taken = leased::record_use(self.counting(&mut c).await?, u, limits, &returned).await?;
        Ok(taken.map(|(id, slice)| {
            if let Some(slice) = slice {
                self.use_leases.hold(key, slice);
            }
            id
        }))
    }

    async fn finish_use(&self, id: i64, ok: bool, output: u64) -> Result<(), StateError> {
        let mut c = self.client().await?;
        limits::finish_use(self.counting(&mut c).await?, id, ok, output).await
    }

    async fn task_history(&self, task: &str) -> Result<TaskHistory, StateError> {
        limits::task_history(self.reading().await?, task).await
    }

    async fn usage(&self, scope: &UsageScope, since_ms: i64) -> Result<Usage, StateError> {
        self.reading().await?.usage(scope, since_ms).await
    }

    fn holds_uses(&self, task: &str, agent: &str, tool: &str, now_ms: i64) -> bool {
        let key = (task.to_owned(), agent.to_owned(), tool.to_owned());
        self.use_leases.holds(&key, now_ms)
    }

    async fn give_back_leases(&self) -> Result<(), StateError> {
        let rates = self.rate_leases.surrender_all();
        let uses = self.use_leases.surrender_all();
        if rates.is_empty() && uses.is_empty() {
            return Ok(());
        }
        let mut c = self.client().await?;
        leased::give_back(self.counting(&mut c).await?, &rates, &uses).await
    }

    fn shares_slots(&self) -> bool {
        true
    }

    async fn enter_slots(
        &self,
        slots: &[(String, u32)],
        expires_ms: i64,
        owner: &str,
    ) -> Result<Result<i64, (String, u32)>, StateError> {
        let mut c = self.client().await?;
        limits::enter_slots(self.counting(&mut c).await?, slots, expires_ms, owner).await
    }

    async fn leave_slots(&self, lease: i64) -> Result<(), StateError> {
        let c = self.client().await?;
        c.execute("DELETE FROM inflight_slots WHERE lease = $1", &[&lease])
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn leave_slots_of(&self, owner: &str) -> Result<u64, StateError> {
        let c = self.client().await?;
        c.execute("DELETE FROM inflight_slots WHERE owner = $1", &[&owner])
            .await
            .map_err(|e| self.err(e))
    }
}
