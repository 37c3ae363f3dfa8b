//! Approval requests in PostgreSQL: bound to the exact call and plugin,
//! usable once, expiring; decided from any host of the fleet.

use tokio_postgres::Row;

use super::PostgresState;
use crate::state::{
    Approval, ApprovalBinding, ApprovalStatus, Decided, NewApproval, StateError, now_ms,
};

const COLUMNS: &str = "id, agent, task, tool, args_digest, plugin_version, component_digest, tool_digest, token_id, impact, why, summary, status, requested_at, expires_at, decided_by, decided_at, decision_reason, used_at, required, token_issuer, \
    ARRAY(SELECT operator FROM approval_votes v WHERE v.approval_id = approvals.id ORDER BY at, operator)";

fn row(r: &Row) -> Approval {
    Approval {
        id: r.get(0),
        binding: ApprovalBinding {
            agent: r.get(1),
            task: r.get(2),
            tool: r.get(3),
            args_digest: r.get(4),
            plugin_version: r.get(5),
            component_digest: r.get(6),
            tool_digest: r.get(7),
        },
        token_id: r.get(8),
        impact: r.get(9),
        why: r.get(10),
        summary: r.get(11),
        status: ApprovalStatus::parse(&r.get::<_, String>(12)),
        requested_at: r.get(13),
        expires_at: r.get(14),
        decided_by: r.get(15),
        decided_at: r.get(16),
        decision_reason: r.get(17),
        used_at: r.get(18),
        required: u32::try_from(r.get::<_, i64>(19).max(1)).unwrap_or(1),
        token_issuer: r.get(20),
        votes: r.get(21),
    }
}

impl PostgresState {
    pub(super) async fn insert_approval(&self, new: &NewApproval) -> Result<Approval, StateError> {
        let id = crate::vocab::random_id("apr", 6);
        let b = &new.binding;
        let c = self.client().await?;
        c.execute(
            "INSERT INTO approvals (id, agent, task, tool, args_digest, plugin_version, component_digest, tool_digest, token_id, impact, why, summary, status, requested_at, expires_at, required, token_issuer)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', $13, $14, $15, $16)",
            &[&id, &b.agent, &b.task, &b.tool, &b.args_digest, &b.plugin_version, &b.component_digest, &b.tool_digest, &new.token_id, &new.impact, &new.why, &new.summary, &now_ms(), &new.expires_at, &i64::from(new.required.max(1)), &new.token_issuer],
        )
        .await
        .map_err(|e| self.err(e))?;
        drop(c);
        self.read_approval(&id)
            .await?
            .ok_or_else(|| self.err("the new approval request is not there"))
    }

    pub(super) async fn read_approval(&self, id: &str) -> Result<Option<Approval>, StateError> {
        let c = self.client().await?;
        let r = c
            .query_opt(
                &format!("SELECT {COLUMNS} FROM approvals WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(r.as_ref().map(row))
    }

    pub(super) async fn read_open_approval(
        &self,
        b: &ApprovalBinding,
    ) -> Result<Option<Approval>, StateError> {
        let c = self.client().await?;
        let r = c
            .query_opt(
                &format!(
                    "SELECT {COLUMNS} FROM approvals WHERE agent = $1 AND task = $2 AND tool = $3 AND args_digest = $4
                     AND plugin_version = $5 AND component_digest = $6 AND tool_digest = $7
                     AND status IN ('pending', 'approved') AND expires_at > $8 ORDER BY requested_at DESC LIMIT 1"
                ),
                &[&b.agent, &b.task, &b.tool, &b.args_digest, &b.plugin_version, &b.component_digest, &b.tool_digest, &now_ms()],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(r.as_ref().map(row))
    }

    pub(super) async fn write_decision(
        &self,
        id: &str,
        approve: bool,
        by: &str,
        reason: &str,
    ) -> Result<Decided, StateError> {
        let now = now_ms();
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(|e| self.err(e))?;
        let open = tx
            .query_opt(
                "SELECT required FROM approvals WHERE id = $1 AND status = 'pending' AND expires_at > $2 FOR UPDATE",
                &[&id, &now],
            )
            .await
            .map_err(|e| self.err(e))?;
        let Some(required) = open.map(|r| r.get::<_, i64>(0)) else {
            return Ok(Decided::NotPending);
        };
        if approve {
            let n = tx
                .execute(
                    "INSERT INTO approval_votes (approval_id, operator, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    &[&id, &by, &now],
                )
                .await
                .map_err(|e| self.err(e))?;
            if n == 0 {
                return Ok(Decided::AlreadyVoted);
            }
            let r = tx
                .query_one(
                    "SELECT COUNT(*), string_agg(operator, ', ' ORDER BY at, operator) FROM approval_votes WHERE approval_id = $1",
                    &[&id],
                )
                .await
                .map_err(|e| self.err(e))?;
            let (votes, names): (i64, String) = (r.get(0), r.get(1));
            if votes >= required {
                tx.execute(
                    "UPDATE approvals SET status = 'approved', decided_by = $2, decided_at = $3, decision_reason = $4 WHERE id = $1",
                    &[&id, &names, &now, &reason],
                )
                .await
                .map_err(|e| self.err(e))?;
            }
        } else {
            tx.execute(
                "UPDATE approvals SET status = 'denied', decided_by = $2, decided_at = $3, decision_reason = $4 WHERE id = $1",
                &[&id, &by, &now, &reason],
            )
            .await
            .map_err(|e| self.err(e))?;
        }
        tx.commit().await.map_err(|e| self.err(e))?;
        drop(c);
        Ok(match self.read_approval(id).await? {
            Some(a) => Decided::Recorded(Box::new(a)),
            None => Decided::NotPending,
        })
    }

    pub(super) async fn write_consumed(&self, id: &str) -> Result<bool, StateError> {
        let now = now_ms();
        let c = self.client().await?;
        let n = c
            .execute(
                "UPDATE approvals SET status = 'used', used_at = $2
                 WHERE id = $1 AND status = 'approved' AND used_at IS NULL AND expires_at > $2",
                &[&id, &now],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(n == 1)
    }

    pub(super) async fn read_approvals(&self, all: bool) -> Result<Vec<Approval>, StateError> {
        let c = self.client().await?;
        let rows = if all {
            c.query(
                &format!("SELECT {COLUMNS} FROM approvals ORDER BY requested_at DESC LIMIT 500"),
                &[],
            )
            .await
        } else {
            c.query(
                &format!(
                    "SELECT {COLUMNS} FROM approvals WHERE status = 'pending' AND expires_at > $1 ORDER BY requested_at DESC"
                ),
                &[&now_ms()],
            )
            .await
        }
        .map_err(|e| self.err(e))?;
        Ok(rows.iter().map(row).collect())
    }
}
