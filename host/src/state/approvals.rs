//! Approval requests: a held call waits for a named human's decision, bound
//! to the exact call (agent, task, tool, digest of the arguments), usable
//! once, and expiring.

use rusqlite::{OptionalExtension, Row, params};

use crate::state::{StateDb, StateError, now_ms};

/// Where an approval request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalStatus {
    /// Waiting for a decision.
    Pending,
    /// Approved and not yet used.
    Approved,
    /// Denied.
    Denied,
    /// Approved and used by the call it was for.
    Used,
}

impl ApprovalStatus {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Used => "used",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "approved" => Self::Approved,
            "denied" => Self::Denied,
            "used" => Self::Used,
            _ => Self::Pending,
        }
    }
}

/// A request to be stored.
#[derive(Debug, Clone)]
pub struct NewApproval {
    /// The calling agent.
    pub agent: String,
    /// The task.
    pub task: String,
    /// `plugin.tool`.
    pub tool: String,
    /// SHA-256 of the call's canonical arguments.
    pub args_digest: String,
    /// The task token's id.
    pub token_id: String,
    /// The tool's impact level.
    pub impact: String,
    /// Why approval is needed (policy ids, impact).
    pub why: String,
    /// A short, escaped view of the arguments for the approver.
    pub summary: String,
    /// Expiry, milliseconds since the epoch.
    pub expires_at: i64,
}

/// A stored approval request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// Its id.
    pub id: String,
    /// The calling agent.
    pub agent: String,
    /// The task.
    pub task: String,
    /// `plugin.tool`.
    pub tool: String,
    /// SHA-256 of the call's arguments.
    pub args_digest: String,
    /// The task token's id.
    pub token_id: String,
    /// The tool's impact level.
    pub impact: String,
    /// Why approval was needed.
    pub why: String,
    /// A view of the arguments.
    pub summary: String,
    /// Status.
    pub status: ApprovalStatus,
    /// Requested, ms since the epoch.
    pub requested_at: i64,
    /// Expires, ms since the epoch.
    pub expires_at: i64,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<i64>,
    /// Their reason.
    pub decision_reason: Option<String>,
    /// When the approved call ran.
    pub used_at: Option<i64>,
}

impl Approval {
    /// Whether it has expired (a used or denied request is final anyway).
    pub fn expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }

    /// The status as shown to people, with expiry taken into account.
    pub fn shown_status(&self, now: i64) -> &'static str {
        match self.status {
            ApprovalStatus::Pending | ApprovalStatus::Approved if self.expired(now) => "expired",
            s => s.as_str(),
        }
    }
}

const COLUMNS: &str = "id, agent, task, tool, args_digest, token_id, impact, why, summary, status, requested_at, expires_at, decided_by, decided_at, decision_reason, used_at";

fn row(r: &Row<'_>) -> rusqlite::Result<Approval> {
    Ok(Approval {
        id: r.get(0)?,
        agent: r.get(1)?,
        task: r.get(2)?,
        tool: r.get(3)?,
        args_digest: r.get(4)?,
        token_id: r.get(5)?,
        impact: r.get(6)?,
        why: r.get(7)?,
        summary: r.get(8)?,
        status: ApprovalStatus::parse(&r.get::<_, String>(9)?),
        requested_at: r.get(10)?,
        expires_at: r.get(11)?,
        decided_by: r.get(12)?,
        decided_at: r.get(13)?,
        decision_reason: r.get(14)?,
        used_at: r.get(15)?,
    })
}

fn new_id() -> String {
    let mut b = [0u8; 6];
    // Without OS randomness, fall back to the clock: ids need only be unique.
    if getrandom::fill(&mut b).is_err() {
        b.copy_from_slice(&now_ms().to_be_bytes()[2..]);
    }
    format!("apr-{}", hex::encode(b))
}

impl StateDb {
    /// Store a new pending request.
    ///
    /// # Errors
    ///
    /// [`StateError::Db`].
    pub fn request_approval(&self, new: &NewApproval) -> Result<Approval, StateError> {
        let id = new_id();
        let now = now_ms();
        self.conn()
            .execute(
                "INSERT INTO approvals (id, agent, task, tool, args_digest, token_id, impact, why, summary, status, requested_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10, ?11)",
                params![id, new.agent, new.task, new.tool, new.args_digest, new.token_id, new.impact, new.why, new.summary, now, new.expires_at],
            )
            .map_err(|e| self.err(e))?;
        self.approval(&id)?
            .ok_or_else(|| self.err(rusqlite::Error::QueryReturnedNoRows))
    }

    /// One request by id.
    ///
    /// # Errors
    ///
    /// [`StateError::Db`].
    pub fn approval(&self, id: &str) -> Result<Option<Approval>, StateError> {
        self.conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM approvals WHERE id = ?1"),
                params![id],
                row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The newest open (pending or approved-unused, unexpired) request for
    /// exactly this call.
    ///
    /// # Errors
    ///
    /// [`StateError::Db`].
    pub fn open_approval_for(
        &self,
        agent: &str,
        task: &str,
        tool: &str,
        args_digest: &str,
    ) -> Result<Option<Approval>, StateError> {
        self.conn()
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM approvals WHERE agent = ?1 AND task = ?2 AND tool = ?3 AND args_digest = ?4
                     AND status IN ('pending', 'approved') AND expires_at > ?5 ORDER BY requested_at DESC LIMIT 1"
                ),
                params![agent, task, tool, args_digest, now_ms()],
                row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Record a decision on a pending, unexpired request. Returns the request
    /// as it now stands, or `None` when there was nothing to decide (unknown,
    /// already decided, or expired) — the caller reports which.
    ///
    /// # Errors
    ///
    /// [`StateError::Db`].
    pub fn decide_approval(
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
        self.approval(id)
    }

    /// Use an approved request, once. Returns false when it is not (or no
    /// longer) usable.
    ///
    /// # Errors
    ///
    /// [`StateError::Db`].
    pub fn consume_approval(&self, id: &str) -> Result<bool, StateError> {
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

    /// Requests, newest first; only open ones unless `all`.
    ///
    /// # Errors
    ///
    /// [`StateError::Db`].
    pub fn list_approvals(&self, all: bool) -> Result<Vec<Approval>, StateError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn new(args: &str) -> NewApproval {
        NewApproval {
            agent: "a".into(),
            task: "t".into(),
            tool: "case-note.append".into(),
            args_digest: args.into(),
            token_id: "tok".into(),
            impact: "high".into(),
            why: "high impact".into(),
            summary: "{}".into(),
            expires_at: now_ms() + 60_000,
        }
    }

    #[test]
    fn approve_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = StateDb::open(dir.path()).unwrap();
        let a = db.request_approval(&new("d1")).unwrap();
        assert_eq!(a.status, ApprovalStatus::Pending);
        assert!(
            !db.consume_approval(&a.id).unwrap(),
            "pending cannot be used"
        );
        let a2 = db
            .decide_approval(&a.id, true, "carol", "ok")
            .unwrap()
            .unwrap();
        assert_eq!(a2.status, ApprovalStatus::Approved);
        assert!(
            db.decide_approval(&a.id, false, "dave", "no")
                .unwrap()
                .is_none(),
            "decided once"
        );
        assert!(db.consume_approval(&a.id).unwrap());
        assert!(!db.consume_approval(&a.id).unwrap(), "used once");
        assert!(
            db.open_approval_for("a", "t", "case-note.append", "d1")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn expired_requests_cannot_be_decided() {
        let dir = tempfile::tempdir().unwrap();
        let db = StateDb::open(dir.path()).unwrap();
        let mut n = new("d2");
        n.expires_at = now_ms() - 1;
        let a = db.request_approval(&n).unwrap();
        assert!(
            db.decide_approval(&a.id, true, "carol", "")
                .unwrap()
                .is_none()
        );
        assert_eq!(a.shown_status(now_ms()), "expired");
    }
}
