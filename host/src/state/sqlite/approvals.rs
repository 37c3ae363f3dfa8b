//! Approval requests in SQLite: bound to the exact call and plugin, usable
//! once, expiring.

use rusqlite::{OptionalExtension, Row, params};

use super::SqliteState;
use crate::state::{
    Approval, ApprovalBinding, ApprovalStatus, Decided, NewApproval, StateError, now_ms,
};

const COLUMNS: &str = "id, agent, task, tool, args_digest, plugin_version, component_digest, tool_digest, token_id, impact, why, summary, status, requested_at, expires_at, decided_by, decided_at, decision_reason, used_at, required, token_issuer";

fn row(r: &Row<'_>) -> rusqlite::Result<Approval> {
    Ok(Approval {
        id: r.get(0)?,
        binding: ApprovalBinding {
            agent: r.get(1)?,
            task: r.get(2)?,
            tool: r.get(3)?,
            args_digest: r.get(4)?,
            plugin_version: r.get(5)?,
            component_digest: r.get(6)?,
            tool_digest: r.get(7)?,
        },
        token_id: r.get(8)?,
        impact: r.get(9)?,
        why: r.get(10)?,
        summary: r.get(11)?,
        status: ApprovalStatus::parse(&r.get::<_, String>(12)?),
        requested_at: r.get(13)?,
        expires_at: r.get(14)?,
        decided_by: r.get(15)?,
        decided_at: r.get(16)?,
        decision_reason: r.get(17)?,
        used_at: r.get(18)?,
        required: r.get::<_, i64>(19)?.max(1) as u32,
        token_issuer: r.get(20)?,
        votes: Vec::new(),
    })
}

impl SqliteState {
    pub(super) fn insert_approval(&self, new: &NewApproval) -> Result<Approval, StateError> {
        let id = crate::vocab::random_id("apr", 6);
        let b = &new.binding;
        self.conn()
            .execute(
                "INSERT INTO approvals (id, agent, task, tool, args_digest, plugin_version, component_digest, tool_digest, token_id, impact, why, summary, status, requested_at, expires_at, required, token_issuer)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'pending', ?13, ?14, ?15, ?16)",
                params![id, b.agent, b.task, b.tool, b.args_digest, b.plugin_version, b.component_digest, b.tool_digest, new.token_id, new.impact, new.why, new.summary, now_ms(), new.expires_at, i64::from(new.required.max(1)), new.token_issuer],
            )
            .map_err(|e| self.err(e))?;
        self.read_approval(&id)?
            .ok_or_else(|| self.err(rusqlite::Error::QueryReturnedNoRows))
    }

    pub(super) fn read_approval(&self, id: &str) -> Result<Option<Approval>, StateError> {
        let a = self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM approvals WHERE id = ?1"),
                params![id],
                row,
            )
            .optional()
            .map_err(|e| self.err(e))?;
        a.map(|a| self.with_votes(a)).transpose()
    }

    fn with_votes(&self, mut a: Approval) -> Result<Approval, StateError> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached(
                "SELECT operator FROM approval_votes WHERE approval_id = ?1 ORDER BY at, operator",
            )
            .map_err(|e| self.err(e))?;
        a.votes = st
            .query_map(params![a.id], |r| r.get(0))
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<String>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(a)
    }

    pub(super) fn read_open_approval(
        &self,
        b: &ApprovalBinding,
    ) -> Result<Option<Approval>, StateError> {
        let a = self.conn()
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM approvals WHERE agent = ?1 AND task = ?2 AND tool = ?3 AND args_digest = ?4
                     AND plugin_version = ?5 AND component_digest = ?6 AND tool_digest = ?7
                     AND status IN ('pending', 'approved') AND expires_at > ?8 ORDER BY requested_at DESC LIMIT 1"
                ),
                params![b.agent, b.task, b.tool, b.args_digest, b.plugin_version, b.component_digest, b.tool_digest, now_ms()],
                row,
            )
            .optional()
            .map_err(|e| self.err(e))?;
        a.map(|a| self.with_votes(a)).transpose()
    }

    pub(super) fn write_decision(
        &self,
        id: &str,
        approve: bool,
        by: &str,
        reason: &str,
    ) -> Result<Decided, StateError> {
        let now = now_ms();
        {
            let mut conn = self.conn();
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(|e| self.err(e))?;
            let open: Option<i64> = tx
                .query_row(
                    "SELECT required FROM approvals WHERE id = ?1 AND status = 'pending' AND expires_at > ?2",
                    params![id, now],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| self.err(e))?;
            let Some(required) = open else {
                return Ok(Decided::NotPending);
            };
            if approve {
                let n = tx
                    .execute(
                        "INSERT OR IGNORE INTO approval_votes (approval_id, operator, at) VALUES (?1, ?2, ?3)",
                        params![id, by, now],
                    )
                    .map_err(|e| self.err(e))?;
                if n == 0 {
                    return Ok(Decided::AlreadyVoted);
                }
                let (votes, names): (i64, String) = tx
                    .query_row(
                        "SELECT COUNT(*), group_concat(operator, ', ') FROM (SELECT operator FROM approval_votes WHERE approval_id = ?1 ORDER BY at, operator)",
                        params![id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .map_err(|e| self.err(e))?;
                if votes >= required {
                    tx.execute(
                        "UPDATE approvals SET status = 'approved', decided_by = ?2, decided_at = ?3, decision_reason = ?4 WHERE id = ?1",
                        params![id, names, now, reason],
                    )
                    .map_err(|e| self.err(e))?;
                }
            } else {
                tx.execute(
                    "UPDATE approvals SET status = 'denied', decided_by = ?2, decided_at = ?3, decision_reason = ?4 WHERE id = ?1",
                    params![id, by, now, reason],
                )
                .map_err(|e| self.err(e))?;
            }
            tx.commit().map_err(|e| self.err(e))?;
        }
        Ok(match self.read_approval(id)? {
            Some(a) => Decided::Recorded(Box::new(a)),
            None => Decided::NotPending,
        })
    }

    pub(super) fn write_nonce(
        &self,
        nonce: &str,
        operator: &str,
        expires: i64,
    ) -> Result<bool, StateError> {
        let conn = self.conn();
        conn.execute("DELETE FROM nonces WHERE expires < ?1", params![now_ms()])
            .map_err(|e| self.err(e))?;
        conn.execute(
            "INSERT OR IGNORE INTO nonces (nonce, operator, expires) VALUES (?1, ?2, ?3)",
            params![nonce, operator, expires],
        )
        .map(|n| n == 1)
        .map_err(|e| self.err(e))
    }

    pub(super) fn write_consumed(&self, id: &str) -> Result<bool, StateError> {
        let now = now_ms();
        self.conn()
            .execute(
                "UPDATE approvals SET status = 'used', used_at = ?2
                 WHERE id = ?1 AND status = 'approved' AND used_at IS NULL AND expires_at > ?2",
                params![id, now],
            )
            .map(|n| n == 1)
            .map_err(|e| self.err(e))
    }

    pub(super) fn read_approvals(&self, all: bool) -> Result<Vec<Approval>, StateError> {
        let sql = if all {
            format!("SELECT {COLUMNS} FROM approvals ORDER BY requested_at DESC LIMIT 500")
        } else {
            format!(
                "SELECT {COLUMNS} FROM approvals WHERE status = 'pending' AND expires_at > ?1 ORDER BY requested_at DESC"
            )
        };
        let list = {
            let conn = self.conn();
            let mut stmt = conn.prepare(&sql).map_err(|e| self.err(e))?;
            let rows = if all {
                stmt.query_map([], row)
            } else {
                stmt.query_map(params![now_ms()], row)
            }
            .map_err(|e| self.err(e))?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.err(e))?
        };
        list.into_iter().map(|a| self.with_votes(a)).collect()
    }
}
