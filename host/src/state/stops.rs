//! The stop buttons: halt the host, quarantine an agent, disable a plugin,
//! revoke a token.

use std::collections::BTreeMap;

use rusqlite::params;

use crate::state::{StateDb, StateError, now_ms};

/// Who stopped something, when and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped {
    /// The operator.
    pub by: String,
    /// Their reason.
    pub reason: String,
    /// When, in milliseconds since the epoch.
    pub at: i64,
}

/// Everything currently stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StopState {
    /// The host is halted: every call is refused.
    pub halted: Option<Stopped>,
    /// Quarantined agents.
    pub agents: BTreeMap<String, Stopped>,
    /// Disabled plugins.
    pub plugins: BTreeMap<String, Stopped>,
    /// Revoked task tokens, by token id.
    pub tokens: BTreeMap<String, Stopped>,
}

impl StateDb {
    /// Set or clear a stop. `kind` is `halt`, `agent` or `plugin`.
    ///
    /// Returns whether anything changed.
    ///
    /// # Errors
    ///
    /// [`StateError::Db`].
    pub fn set_stop(
        &self,
        kind: &str,
        target: &str,
        on: bool,
        by: &str,
        reason: &str,
    ) -> Result<bool, StateError> {
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
        drop(conn);
        self.changed_locally();
        n.map(|n| n > 0).map_err(|e| self.err(e))
    }

    /// What is stopped now.
    ///
    /// # Errors
    ///
    /// [`StateError::Db`].
    pub fn stop_state(&self) -> Result<StopState, StateError> {
        let conn = self.conn();
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
        let mut state = StopState::default();
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

    /// Revoke a task token by id. Returns false if it was revoked already.
    ///
    /// # Errors
    ///
    /// [`StateError::Db`].
    pub fn revoke_token(&self, token_id: &str, by: &str, reason: &str) -> Result<bool, StateError> {
        self.changed_locally();
        self.conn()
            .execute(
                "INSERT OR IGNORE INTO revoked_tokens (token_id, by, reason, at) VALUES (?1, ?2, ?3, ?4)",
                params![token_id, by, reason, now_ms()],
            )
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }

    /// Whether a token id is revoked, and by whom.
    ///
    /// # Errors
    ///
    /// [`StateError::Db`].
    pub fn token_revocation(&self, token_id: &str) -> Result<Option<Stopped>, StateError> {
        use rusqlite::OptionalExtension;
        self.conn()
            .prepare_cached("SELECT by, reason, at FROM revoked_tokens WHERE token_id = ?1")
            .and_then(|mut s| {
                s.query_row(params![token_id], |r| {
                    Ok(Stopped {
                        by: r.get(0)?,
                        reason: r.get(1)?,
                        at: r.get(2)?,
                    })
                })
                .optional()
            })
            .map_err(|e| self.err(e))
    }
}
