//! Approval requests in PostgreSQL: bound to the exact call and plugin,
//! usable once, expiring; decided from any host of the fleet.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::PostgresState;
use super::tx::Pg;
use crate::state::approvals::{self, Approvals, ApprovalsTx};
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

impl<C: GenericClient> ApprovalsTx for Pg<'_, C> {
    async fn insert_approval(
        &mut self,
        id: &str,
        new: &NewApproval,
        now: i64,
    ) -> Result<(), StateError> {
        let b = &new.binding;
        self.run(
            "INSERT INTO approvals (id, agent, task, tool, args_digest, plugin_version, component_digest, tool_digest, token_id, impact, why, summary, status, requested_at, expires_at, required, token_issuer)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', $13, $14, $15, $16)",
            &[&id, &b.agent, &b.task, &b.tool, &b.args_digest, &b.plugin_version, &b.component_digest, &b.tool_digest, &new.token_id, &new.impact, &new.why, &new.summary, &now, &new.expires_at, &i64::from(new.required.max(1)), &new.token_issuer],
        )
        .await?;
        Ok(())
    }

    async fn approval(&mut self, id: &str, lock: bool) -> Result<Option<Approval>, StateError> {
        let lock = if lock { " FOR UPDATE" } else { "" };
        let r = self
            .c
            .query_opt(
                &format!("SELECT {COLUMNS} FROM approvals WHERE id = $1{lock}"),
                &[&id],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(r.as_ref().map(row))
    }

    async fn requests_for(&mut self, b: &ApprovalBinding) -> Result<Vec<Approval>, StateError> {
        let rows = self
            .c
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM approvals WHERE agent = $1 AND task = $2 AND tool = $3 AND args_digest = $4
                     AND plugin_version = $5 AND component_digest = $6 AND tool_digest = $7
                     ORDER BY requested_at DESC"
                ),
                &[&b.agent, &b.task, &b.tool, &b.args_digest, &b.plugin_version, &b.component_digest, &b.tool_digest],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows.iter().map(row).collect())
    }

    async fn insert_vote(&mut self, id: &str, by: &str, now: i64) -> Result<bool, StateError> {
        let n = self.run(
            "INSERT INTO approval_votes (approval_id, operator, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&id, &by, &now],
        )
        .await?;
        Ok(n > 0)
    }

    async fn votes(&mut self, id: &str) -> Result<Vec<String>, StateError> {
        let rows = self
            .c
            .query(
                "SELECT operator FROM approval_votes WHERE approval_id = $1 ORDER BY at, operator",
                &[&id],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
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
            "UPDATE approvals SET status = $2, decided_by = $3, decided_at = $4, decision_reason = $5 WHERE id = $1",
            &[&id, &status.as_str(), &by, &now, &reason],
        )
        .await?;
        Ok(())
    }

    async fn set_used(&mut self, id: &str, now: i64) -> Result<(), StateError> {
        self.run(
            "UPDATE approvals SET status = 'used', used_at = $2 WHERE id = $1",
            &[&id, &now],
        )
        .await
        .map(|_| ())
    }
}

#[async_trait::async_trait]
impl Approvals for PostgresState {
    async fn request_approval(&self, new: &NewApproval) -> Result<Approval, StateError> {
        let mut c = self.client().await?;
        approvals::request(self.begin(&mut c).await?, new).await
    }

    async fn approval(&self, id: &str) -> Result<Option<Approval>, StateError> {
        self.reading().await?.approval(id, false).await
    }

    async fn open_approval_for(
        &self,
        binding: &ApprovalBinding,
    ) -> Result<Option<Approval>, StateError> {
        approvals::open_for(self.reading().await?, binding).await
    }

    async fn decide_approval(
        &self,
        id: &str,
        approve: bool,
        by: &str,
        reason: &str,
    ) -> Result<Decided, StateError> {
        let mut c = self.client().await?;
        approvals::decide(self.begin(&mut c).await?, id, approve, by, reason).await
    }

    async fn consume_approval(&self, id: &str) -> Result<bool, StateError> {
        let mut c = self.client().await?;
        approvals::consume(self.begin(&mut c).await?, id).await
    }

    /// A listing for operators: its filter stays in SQL, so that pending
    /// requests are never cut short by a limit.
    async fn list_approvals(&self, all: bool) -> Result<Vec<Approval>, StateError> {
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
