//! Approval requests in SQLite: bound to the exact call and plugin, usable
//! once, expiring.

use std::ops::Deref;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Lite, SqliteState};
use crate::state::approvals::{self, Approvals, ApprovalsTx};
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

impl<C: Deref<Target = Connection>> Lite<'_, C> {
    fn with_votes(&self, mut a: Approval) -> Result<Approval, StateError> {
        a.votes = self.votes_of(&a.id)?;
        Ok(a)
    }

    fn votes_of(&self, id: &str) -> Result<Vec<String>, StateError> {
        let mut st = self
            .c
            .prepare_cached(
                "SELECT operator FROM approval_votes WHERE approval_id = ?1 ORDER BY at, operator",
            )
            .map_err(|e| self.err(e))?;
        st.query_map(params![id], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }
}

impl<C: Deref<Target = Connection>> ApprovalsTx for Lite<'_, C> {
    async fn insert_approval(
        &mut self,
        id: &str,
        new: &NewApproval,
        now: i64,
    ) -> Result<(), StateError> {
        let b = &new.binding;
        self.run(
            "INSERT INTO approvals (id, agent, task, tool, args_digest, plugin_version, component_digest, tool_digest, token_id, impact, why, summary, status, requested_at, expires_at, required, token_issuer)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'pending', ?13, ?14, ?15, ?16)",
            params![id, b.agent, b.task, b.tool, b.args_digest, b.plugin_version, b.component_digest, b.tool_digest, new.token_id, new.impact, new.why, new.summary, now, new.expires_at, i64::from(new.required.max(1)), new.token_issuer],
        )?;
        Ok(())
    }

    async fn approval(&mut self, id: &str, _lock: bool) -> Result<Option<Approval>, StateError> {
        // A transaction that writes holds the database's write lock.
        let a = self
            .c
            .query_row(
                &format!("SELECT {COLUMNS} FROM approvals WHERE id = ?1"),
                params![id],
                row,
            )
            .optional()
            .map_err(|e| self.err(e))?;
        a.map(|a| self.with_votes(a)).transpose()
    }

    async fn requests_for(&mut self, b: &ApprovalBinding) -> Result<Vec<Approval>, StateError> {
        let mut st = self
            .c
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM approvals WHERE agent = ?1 AND task = ?2 AND tool = ?3 AND args_digest = ?4
                 AND plugin_version = ?5 AND component_digest = ?6 AND tool_digest = ?7
                 ORDER BY requested_at DESC"
            ))
            .map_err(|e| self.err(e))?;
        let found: Vec<Approval> = st
            .query_map(
                params![
                    b.agent,
                    b.task,
                    b.tool,
                    b.args_digest,
                    b.plugin_version,
                    b.component_digest,
                    b.tool_digest
                ],
                row,
            )
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        drop(st);
        found.into_iter().map(|a| self.with_votes(a)).collect()
    }

    async fn insert_vote(&mut self, id: &str, by: &str, now: i64) -> Result<bool, StateError> {
        self.run(
            "INSERT OR IGNORE INTO approval_votes (approval_id, operator, at) VALUES (?1, ?2, ?3)",
            params![id, by, now],
        )
        .map(|n| n > 0)
    }

    async fn votes(&mut self, id: &str) -> Result<Vec<String>, StateError> {
        self.votes_of(id)
    }

    async fn set_decided(
        &mut self,
        id: &str,
        status: ApprovalStatus,
        by: &str,
        now: i64,
        reason: &str,
    ) -> Result<(), StateError> {
        self.run(
            "UPDATE approvals SET status = ?2, decided_by = ?3, decided_at = ?4, decision_reason = ?5 WHERE id = ?1",
            params![id, status.as_str(), by, now, reason],
        )?;
        Ok(())
    }

    async fn set_used(&mut self, id: &str, now: i64) -> Result<(), StateError> {
        self.run(
            "UPDATE approvals SET status = 'used', used_at = ?2 WHERE id = ?1",
            params![id, now],
        )
        .map(|_| ())
    }
}

#[async_trait::async_trait]
impl Approvals for SqliteState {
    async fn request_approval(&self, new: &NewApproval) -> Result<Approval, StateError> {
        self.write(&self.conn, async |tx| approvals::request(tx, new).await)
    }

    async fn approval(&self, id: &str) -> Result<Option<Approval>, StateError> {
        self.read(&self.conn, async |mut r| r.approval(id, false).await)
    }

    async fn open_approval_for(
        &self,
        binding: &ApprovalBinding,
    ) -> Result<Option<Approval>, StateError> {
        self.read(&self.conn, async |r| approvals::open_for(r, binding).await)
    }

    async fn decide_approval(
        &self,
        id: &str,
        approve: bool,
        by: &str,
        reason: &str,
    ) -> Result<Decided, StateError> {
        self.write(&self.conn, async |tx| {
            approvals::decide(tx, id, approve, by, reason).await
        })
    }

    async fn consume_approval(&self, id: &str) -> Result<bool, StateError> {
        self.write(&self.conn, async |tx| approvals::consume(tx, id).await)
    }

    /// A listing for operators: its filter stays in SQL, so that pending
    /// requests are never cut short by a limit.
    async fn list_approvals(&self, all: bool) -> Result<Vec<Approval>, StateError> {
        let sql = if all {
            format!("SELECT {COLUMNS} FROM approvals ORDER BY requested_at DESC LIMIT 500")
        } else {
            format!(
                "SELECT {COLUMNS} FROM approvals WHERE status = 'pending' AND expires_at > ?1 ORDER BY requested_at DESC"
            )
        };
        self.read(&self.conn, async |r| {
            let mut stmt = r.c.prepare(&sql).map_err(|e| r.err(e))?;
            let rows = if all {
                stmt.query_map([], row)
            } else {
                stmt.query_map(params![now_ms()], row)
            };
            let list: Vec<Approval> = rows.and_then(Iterator::collect).map_err(|e| r.err(e))?;
            drop(stmt);
            list.into_iter().map(|a| r.with_votes(a)).collect()
        })
    }
}
