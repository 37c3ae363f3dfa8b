//! PostgreSQL's transactions for the algorithms above the backends: locks
//! are transaction-scoped advisory locks.

use deadpool_postgres::Transaction;

use super::PostgresState;
use crate::state::StateError;
use crate::state::tx::{Lock, Tx};

/// PostgreSQL's statements for the algorithms, on `C`: a [`Transaction`]
/// (then a [`Tx`]) or a pooled connection.
pub(super) struct Pg<'s, C> {
    pub(super) c: C,
    pub(super) state: &'s PostgresState,
}

impl<C> Pg<'_, C> {
    pub(super) fn err(&self, e: impl std::fmt::Display) -> StateError {
        self.state.err(e)
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
