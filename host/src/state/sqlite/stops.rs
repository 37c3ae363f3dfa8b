//! The stop buttons in SQLite: halt, quarantined agents, disabled plugins
//! (`stops`), revoked tokens (`revoked_tokens`).

use rusqlite::params;

use super::SqliteState;
use crate::state::{StateError, StopState, StopTarget, Stopped, now_ms};

impl SqliteState {
    pub(super) fn write_stop(
        &self,
        target: &StopTarget,
        on: bool,
        by: &str,
        reason: &str,
    ) -> Result<bool, StateError> {
        let (kind, target) = target.columns();
        let conn = self.conn();
        let n = if on {
            conn.execute(
                "INSERT OR IGNORE INTO stops (kind, target, by, reason, at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![kind, target, by, reason, now_ms()],
            )
        } else {
            conn.execute(
                "DELETE FROM stops WHERE kind = ?1 AND target = ?2",
                params![kind, target],
            )
        };
        n.map(|n| n > 0).map_err(|e| self.err(e))
    }

    pub(super) fn write_revocation(
        &self,
        token_id: &str,
        by: &str,
        reason: &str,
    ) -> Result<bool, StateError> {
        self.conn()
            .execute(
                "INSERT OR IGNORE INTO revoked_tokens (token_id, by, reason, at) VALUES (?1, ?2, ?3, ?4)",
                params![token_id, by, reason, now_ms()],
            )
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }

    pub(super) fn read_stops(&self) -> Result<StopState, StateError> {
        let conn = self.conn();
        let mut state = StopState::default();
        let mut stmt = conn
            .prepare_cached("SELECT kind, target, by, reason, at FROM stops")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    Stopped {
                        by: r.get(2)?,
                        reason: r.get(3)?,
                        at: r.get(4)?,
                    },
                ))
            })
            .map_err(|e| self.err(e))?;
        for row in rows {
            let (kind, target, stopped) = row.map_err(|e| self.err(e))?;
            match kind.as_str() {
                "halt" => state.halted = Some(stopped),
                "agent" => {
                    state.agents.insert(target, stopped);
                }
                "plugin" => {
                    state.plugins.insert(target, stopped);
                }
                "key-retired" => {
                    state.retired_keys.insert(target, stopped);
                }
                "key-revoked" => {
                    state.revoked_keys.insert(target, stopped);
                }
                _ => {}
            }
        }
        drop(stmt);
        let mut stmt = conn
            .prepare_cached("SELECT token_id, by, reason, at FROM revoked_tokens")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Stopped {
                        by: r.get(1)?,
                        reason: r.get(2)?,
                        at: r.get(3)?,
                    },
                ))
            })
            .map_err(|e| self.err(e))?;
        for row in rows {
            let (id, stopped) = row.map_err(|e| self.err(e))?;
            state.tokens.insert(id, stopped);
        }
        Ok(state)
    }
}
