//! Approval requests in SQLite: bound to the exact call and plugin, usable
//! once, expiring.

use rusqlite::{OptionalExtension, Row, params};

use super::SqliteState;
use crate::state::{Approval, ApprovalBinding, ApprovalStatus, NewApproval, StateError, now_ms};

const COLUMNS: &str = "id, agent, task, tool, args_digest, plugin_version, component_digest, tool_digest, token_id, impact, why, summary, status, requested_at, expires_at, decided_by, decided_at, decision_reason, used_at";

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
    })
}

impl SqliteState {
    pub(super) fn insert_approval(&self, new: &NewApproval) -> Result<Approval, StateError> {
        let id = crate::vocab::random_id("apr", 6);
        let b = &new.binding;
        self.conn()
            .execute(
                "INSERT INTO approvals (id, agent, task, tool, args_digest, plugin_version, component_digest, tool_digest, token_id, impact, why, summary, status, requested_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'pending', ?13, ?14)",
                params![id, b.agent, b.task, b.tool, b.args_digest, b.plugin_version, b.component_digest, b.tool_digest, new.token_id, new.impact, new.why, new.summary, now_ms(), new.expires_at],
            )
            .map_err(|e| self.err(e))?;
        self.read_approval(&id)?
            .ok_or_else(|| self.err(rusqlite::Error::QueryReturnedNoRows))
    }

    pub(super) fn read_approval(&self, id: &str) -> Result<Option<Approval>, StateError> {
        self.conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM approvals WHERE id = ?1"),
                params![id],
                row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    pub(super) fn read_open_approval(
        &self,
        b: &ApprovalBinding,
    ) -> Result<Option<Approval>, StateError> {
        self.conn()
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
            .map_err(|e| self.err(e))
    }

    pub(super) fn write_decision(
        &self,
        id: &str,
        approve: bool,
        by: &str,
        reason: &str,
    ) -> Result<Option<Approval>, StateError> {
        let status = if approve { "approved" } else { "denied" };
        let n = self
            .conn()
            .execute(
                "UPDATE approvals SET status = ?2, decided_by = ?3, decided_at = ?4, decision_reason = ?5
                 WHERE id = ?1 AND status = 'pending' AND expires_at > ?4",
                params![id, status, by, now_ms(), reason],
            )
            .map_err(|e| self.err(e))?;
        if n == 0 {
            return Ok(None);
        }
        self.read_approval(id)
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
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = if all {
            stmt.query_map([], row)
        } else {
            stmt.query_map(params![now_ms()], row)
        }
        .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }
}
