//! PostgreSQL's transactions for the algorithms above the backends: how
//! one begins (durable, or relaxed for counts), and locks as
//! transaction-scoped advisory locks.

use deadpool_postgres::{GenericClient, Transaction};
use tokio_postgres::types::ToSql;

use super::PostgresState;
use crate::state::StateError;
use crate::state::tx::{Lock, Tx};

/// PostgreSQL's statements for the algorithms, on `C`: a [`Transaction`]
/// (then a [`Tx`]) or a pooled connection.
pub(super) struct Pg<'s, C> {
    pub(super) c: C,
    pub(super) state: &'s PostgresState,
}

impl PostgresState {
    /// A transaction on `c`, durable.
    pub(super) async fn begin<'c>(
        &'c self,
        c: &'c mut deadpool_postgres::Client,
    ) -> Result<Pg<'c, Transaction<'c>>, StateError> {
        let tx = c.transaction().await.map_err(|e| self.err(e))?;
        Ok(Pg { c: tx, state: self })
    }

    /// A transaction on `c` for counts (rate windows, uses, in-flight
    /// slots): it commits without waiting for the WAL to reach the disk —
    /// as SQLite counts them on a connection that does not fsync. Still
    /// atomic and isolated (every host takes a budget's last unit once),
    /// but a crash of the database server itself may forget the last few
    /// hundred milliseconds of counts. The audit chain, approvals, stops
    /// and releases keep full durability.
    pub(super) async fn counting<'c>(
        &'c self,
        c: &'c mut deadpool_postgres::Client,
    ) -> Result<Pg<'c, Transaction<'c>>, StateError> {
        let tx = self.begin(c).await?;
        tx.c.batch_execute("SET LOCAL synchronous_commit TO OFF")
            .await
            .map_err(|e| self.err(e))?;
        Ok(tx)
    }

    /// Statements on a pooled connection, outside a transaction.
    pub(super) async fn reading(&self) -> Result<Pg<'_, deadpool_postgres::Client>, StateError> {
        Ok(Pg {
            c: self.client().await?,
            state: self,
        })
    }
}

impl<C> Pg<'_, C> {
    pub(super) fn err(&self, e: impl std::fmt::Display) -> StateError {
        self.state.err(e)
    }
}

impl<C: GenericClient> Pg<'_, C> {
    /// Run one statement; the rows changed.
    pub(super) async fn run(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, StateError> {
        self.c.execute(sql, params).await.map_err(|e| self.err(e))
    }
}

impl Tx for Pg<'_, Transaction<'_>> {
    /// A transaction-scoped advisory lock; each space its own keys.
    async fn lock(&mut self, space: Lock, key: &str) -> Result<(), StateError> {
        let seed: i64 = match space {
            Lock::Release => {
                // One writer of releases at a time across the fleet.
                self.c
                    .execute("SELECT pg_advisory_xact_lock(7761001)", &[])
                    .await
                    .map_err(|e| self.err(e))?;
                return Ok(());
            }
            Lock::Rate => 7,
            Lock::Slot => 11,
            Lock::Version => 13,
            Lock::Proposal => 17,
            Lock::Use => 7761,
        };
        self.c
            .execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, $2))",
                &[&key, &seed],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn commit(self) -> Result<(), StateError> {
        let Self { c, state } = self;
        c.commit().await.map_err(|e| state.err(e))
    }

    fn error(&self, why: &str) -> StateError {
        self.err(why)
    }
}
