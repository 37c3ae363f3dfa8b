//! The stop buttons in SQLite: halt, quarantined agents, disabled plugins
//! (`stops`), revoked tokens (`revoked_tokens`). Another process's change
//! is noticed by `PRAGMA data_version`, this process's by its counter.

use std::ops::Deref;
use std::sync::atomic::Ordering;

use rusqlite::{Connection, params};

use super::{Lite, SqliteState};
use crate::state::stops::{self, Stops, StopsTx};
use crate::state::{StateError, StopState, StopTarget, Stopped};

impl<C: Deref<Target = Connection>> StopsTx for Lite<'_, C> {
    async fn stops(&mut self) -> Result<Vec<(String, String, Stopped)>, StateError> {
        let mut st = self
            .c
            .prepare_cached("SELECT kind, target, by, reason, at FROM stops")
            .map_err(|e| self.err(e))?;
        st.query_map([], |r| {
            let stopped = Stopped {
                by: r.get(2)?,
                reason: r.get(3)?,
                at: r.get(4)?,
            };
            Ok((r.get(0)?, r.get(1)?, stopped))
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    async fn revocations(&mut self) -> Result<Vec<(String, Stopped)>, StateError> {
        let mut st = self
            .c
            .prepare_cached("SELECT token_id, by, reason, at FROM revoked_tokens")
            .map_err(|e| self.err(e))?;
        st.query_map([], |r| {
            let stopped = Stopped {
                by: r.get(1)?,
                reason: r.get(2)?,
                at: r.get(3)?,
            };
            Ok((r.get(0)?, stopped))
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    async fn insert_stop(
        &mut self,
        kind: &str,
        target: &str,
        s: &Stopped,
    ) -> Result<bool, StateError> {
        let n = self.run(
            "INSERT OR IGNORE INTO stops (kind, target, by, reason, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![kind, target, s.by, s.reason, s.at],
        )?;
        Ok(n > 0)
    }

    async fn delete_stop(&mut self, kind: &str, target: &str) -> Result<bool, StateError> {
        self.run(
            "DELETE FROM stops WHERE kind = ?1 AND target = ?2",
            params![kind, target],
        )
        .map(|n| n > 0)
    }

    async fn insert_revocation(&mut self, token_id: &str, s: &Stopped) -> Result<bool, StateError> {
        let n = self.run(
            "INSERT OR IGNORE INTO revoked_tokens (token_id, by, reason, at) VALUES (?1, ?2, ?3, ?4)",
            params![token_id, s.by, s.reason, s.at],
        )?;
        Ok(n > 0)
    }

    async fn notify(&mut self, _what: &str) -> Result<(), StateError> {
        // Other processes ask `PRAGMA data_version`.
        Ok(())
    }
}

#[async_trait::async_trait]
impl Stops for SqliteState {
    async fn change_marker(&self) -> Result<u64, StateError> {
        let v: i64 = self
            .conn()
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut st| st.query_row([], |r| r.get(0)))
            .map_err(|e| self.err(e))?;
        // data_version counts other connections' commits; local changes
        // are counted here. Both only grow, so this sum grows whenever
        // either does.
        let local = self.local_changes.load(Ordering::SeqCst);
        Ok((v as u64).wrapping_mul(1 << 32).wrapping_add(local))
    }

    fn local_changes(&self) -> u64 {
        self.local_changes.load(Ordering::SeqCst)
    }

    async fn stop_state(&self) -> Result<StopState, StateError> {
        self.read(&self.conn, async |r| stops::stop_state(r).await)
    }

    async fn set_stop(
        &self,
        target: &StopTarget,
        on: bool,
        by: &str,
        reason: &str,
    ) -> Result<bool, StateError> {
        let r = self.write(&self.conn, async |tx| {
            stops::set_stop(tx, target, on, by, reason).await
        });
        self.changed_locally();
        r
    }

    async fn revoke_token(
        &self,
        token_id: &str,
        by: &str,
        reason: &str,
    ) -> Result<bool, StateError> {
        let r = self.write(&self.conn, async |tx| {
            stops::revoke_token(tx, token_id, by, reason).await
        });
        self.changed_locally();
        r
    }
}
