//! The stop buttons in PostgreSQL — `stops`, `revoked_tokens` — each change
//! committed with a `NOTIFY` to every listening host, whose watcher then
//! reloads the stop state: calls never ask the database about stops.

use std::sync::atomic::Ordering;

use deadpool_postgres::GenericClient;

use super::tx::Pg;
use super::{CHANNEL, PostgresState};
use crate::state::stops::{self, Stops, StopsTx};
use crate::state::{StateError, StopState, StopTarget, Stopped};

/// Who pressed a button and why, from columns `i`, `i + 1`, `i + 2`.
fn stopped(r: &tokio_postgres::Row, i: usize) -> Stopped {
    Stopped {
        by: r.get(i),
        reason: r.get(i + 1),
        at: r.get(i + 2),
    }
}

impl<C: GenericClient> StopsTx for Pg<'_, C> {
    async fn stops(&mut self) -> Result<Vec<(String, String, Stopped)>, StateError> {
        let rows = self
            .c
            .query("SELECT kind, target, by, reason, at FROM stops", &[])
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), stopped(r, 2)))
            .collect())
    }

    async fn revocations(&mut self) -> Result<Vec<(String, Stopped)>, StateError> {
        let rows = self
            .c
            .query("SELECT token_id, by, reason, at FROM revoked_tokens", &[])
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows.iter().map(|r| (r.get(0), stopped(r, 1))).collect())
    }

    async fn insert_stop(
        &mut self,
        kind: &str,
        target: &str,
        s: &Stopped,
    ) -> Result<bool, StateError> {
        let n = self.run(
            "INSERT INTO stops (kind, target, by, reason, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[&kind, &target, &s.by, &s.reason, &s.at],
        )
        .await?;
        Ok(n > 0)
    }

    async fn delete_stop(&mut self, kind: &str, target: &str) -> Result<bool, StateError> {
        self.run(
            "DELETE FROM stops WHERE kind = $1 AND target = $2",
            &[&kind, &target],
        )
        .await
        .map(|n| n > 0)
    }

    async fn insert_revocation(&mut self, token_id: &str, s: &Stopped) -> Result<bool, StateError> {
        let n = self.run(
            "INSERT INTO revoked_tokens (token_id, by, reason, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[&token_id, &s.by, &s.reason, &s.at],
        )
        .await?;
        Ok(n > 0)
    }

    async fn notify(&mut self, what: &str) -> Result<(), StateError> {
        notify(&self.c, what).await.map_err(|e| self.err(e))
    }
}

/// Tell every listening host, at commit, that `what` changed.
pub(super) async fn notify(
    c: &impl GenericClient,
    what: &str,
) -> Result<(), tokio_postgres::Error> {
    c.execute(&format!("SELECT pg_notify('{CHANNEL}', $1)"), &[&what])
        .await
        .map(|_| ())
}

#[async_trait::async_trait]
impl Stops for PostgresState {
    async fn change_marker(&self) -> Result<u64, StateError> {
        Ok(self.marker())
    }

    fn local_changes(&self) -> u64 {
        self.local_changes.load(Ordering::SeqCst)
    }

    async fn stop_state(&self) -> Result<StopState, StateError> {
        stops::stop_state(self.reading().await?).await
    }

    async fn set_stop(
        &self,
        target: &StopTarget,
        on: bool,
        by: &str,
        reason: &str,
    ) -> Result<bool, StateError> {
        let mut c = self.client().await?;
        let changed = stops::set_stop(self.begin(&mut c).await?, target, on, by, reason).await?;
        self.changed_locally();
        Ok(changed)
    }

    async fn revoke_token(
        &self,
        token_id: &str,
        by: &str,
        reason: &str,
    ) -> Result<bool, StateError> {
        let mut c = self.client().await?;
        let changed = stops::revoke_token(self.begin(&mut c).await?, token_id, by, reason).await?;
        self.changed_locally();
        Ok(changed)
    }

    fn silence(&self) -> Option<std::time::Duration> {
        PostgresState::silence(self)
    }
}
