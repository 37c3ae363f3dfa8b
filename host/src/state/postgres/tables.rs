//! The rest of the shared state in PostgreSQL — stop buttons, revocations,
//! version marks, rate windows, nonces, call uses, reload requests — and
//! the [`SharedState`] implementation. Changes to the stop state and
//! reload requests are committed with a `NOTIFY` to every listening host.

use super::{CHANNEL, PostgresState};
use crate::state::{
    Approval, ApprovalBinding, CallUse, Decided, LimitHit, NewApproval, PublishedKey, RateRule,
    SharedState, StateError, StopState, StopTarget, Stopped, StoredRelease, TaskHistory, Usage,
    UsageScope, UseHit, UseLimit, VersionMark, now_ms,
};
use crate::vocab::Version;

const NOTIFY: &str = "SELECT pg_notify('warrant_state', $1)";

impl PostgresState {
    /// Run `sql` with `params` and a notification, in one transaction;
    /// the rows changed.
    async fn changing(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        what: &str,
    ) -> Result<u64, StateError> {
        debug_assert_eq!(CHANNEL, "warrant_state");
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(|e| self.err(e))?;
        let n = tx.execute(sql, params).await.map_err(|e| self.err(e))?;
        tx.execute(NOTIFY, &[&what])
            .await
            .map_err(|e| self.err(e))?;
        tx.commit().await.map_err(|e| self.err(e))?;
        self.changed_locally();
        Ok(n)
    }
}

#[async_trait::async_trait]
impl SharedState for PostgresState {
    async fn change_marker(&self) -> Result<u64, StateError> {
        Ok(self.marker())
    }

    fn local_changes(&self) -> u64 {
        self.local_changes.load(std::sync::atomic::Ordering::SeqCst)
    }

    async fn stop_state(&self) -> Result<StopState, StateError> {
        let c = self.client().await?;
        let mut state = StopState::default();
        for r in c
            .query("SELECT kind, target, by, reason, at FROM stops", &[])
            .await
            .map_err(|e| self.err(e))?
        {
            let stopped = Stopped {
                by: r.get(2),
                reason: r.get(3),
                at: r.get(4),
            };
            match r.get::<_, &str>(0) {
                "halt" => state.halted = Some(stopped),
                "agent" => {
                    state.agents.insert(r.get(1), stopped);
                }
                "plugin" => {
                    state.plugins.insert(r.get(1), stopped);
                }
                "key-retired" => {
                    state.retired_keys.insert(r.get(1), stopped);
                }
                "key-revoked" => {
                    state.revoked_keys.insert(r.get(1), stopped);
                }
                _ => {}
            }
        }
        for r in c
            .query("SELECT token_id, by, reason, at FROM revoked_tokens", &[])
            .await
            .map_err(|e| self.err(e))?
        {
            let stopped = Stopped {
                by: r.get(1),
                reason: r.get(2),
                at: r.get(3),
            };
            state.tokens.insert(r.get(0), stopped);
        }
        Ok(state)
    }

    async fn set_stop(
        &self,
        target: &StopTarget,
        on: bool,
        by: &str,
        reason: &str,
    ) -> Result<bool, StateError> {
        let (kind, target) = target.columns();
        let n = if on {
            self.changing(
                "INSERT INTO stops (kind, target, by, reason, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                &[&kind, &target, &by, &reason, &now_ms()],
                "stop",
            )
            .await?
        } else {
            self.changing(
                "DELETE FROM stops WHERE kind = $1 AND target = $2",
                &[&kind, &target],
                "stop",
            )
            .await?
        };
        Ok(n > 0)
    }

    async fn revoke_token(
        &self,
        token_id: &str,
        by: &str,
        reason: &str,
    ) -> Result<bool, StateError> {
        let n = self
            .changing(
                "INSERT INTO revoked_tokens (token_id, by, reason, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[&token_id, &by, &reason, &now_ms()],
                "revoke",
            )
            .await?;
        Ok(n > 0)
    }

    async fn highest_version(&self, plugin: &str) -> Result<Option<VersionMark>, StateError> {
        let c = self.client().await?;
        let r = c
            .query_opt(
                "SELECT major, minor, patch, manifest_digest, digest FROM plugin_versions WHERE plugin = $1",
                &[&plugin],
            )
            .await
            .map_err(|e| self.err(e))?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(r.map(|r| VersionMark {
            version: Version {
                major: n(r.get(0)),
                minor: n(r.get(1)),
                patch: n(r.get(2)),
            },
            manifest_digest: r.get(3),
            component_digest: r.get(4),
        }))
    }

    async fn record_version(&self, plugin: &str, m: &VersionMark) -> Result<(), StateError> {
        let i = |x: u64| i64::try_from(x).unwrap_or(i64::MAX);
        let v = m.version;
        let c = self.client().await?;
        c.execute(
            "INSERT INTO plugin_versions AS p (plugin, version, major, minor, patch, digest, manifest_digest, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (plugin) DO UPDATE SET
               version = excluded.version, major = excluded.major, minor = excluded.minor,
               patch = excluded.patch, digest = excluded.digest,
               manifest_digest = excluded.manifest_digest, at = excluded.at
             WHERE (excluded.major, excluded.minor, excluded.patch) > (p.major, p.minor, p.patch)
                OR p.manifest_digest = ''",
            &[&plugin, &v.to_string(), &i(v.major), &i(v.minor), &i(v.patch), &m.component_digest, &m.manifest_digest, &now_ms()],
        )
        .await
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn reset_version(&self, plugin: &str) -> Result<Option<VersionMark>, StateError> {
        let old = self.highest_version(plugin).await?;
        let c = self.client().await?;
        c.execute("DELETE FROM plugin_versions WHERE plugin = $1", &[&plugin])
            .await
            .map_err(|e| self.err(e))?;
        Ok(old)
    }

    async fn request_approval(&self, new: &NewApproval) -> Result<Approval, StateError> {
        self.insert_approval(new).await
    }

    async fn approval(&self, id: &str) -> Result<Option<Approval>, StateError> {
        self.read_approval(id).await
    }

    async fn open_approval_for(
        &self,
        binding: &ApprovalBinding,
    ) -> Result<Option<Approval>, StateError> {
        self.read_open_approval(binding).await
    }

    async fn decide_approval(
        &self,
        id: &str,
        approve: bool,
        by: &str,
        reason: &str,
    ) -> Result<Decided, StateError> {
        self.write_decision(id, approve, by, reason).await
    }

    async fn consume_approval(&self, id: &str) -> Result<bool, StateError> {
        self.write_consumed(id).await
    }

    async fn list_approvals(&self, all: bool) -> Result<Vec<Approval>, StateError> {
        self.read_approvals(all).await
    }

    async fn admit(
        &self,
        rules: &[RateRule],
        now_ms: i64,
    ) -> Result<Result<(), LimitHit>, StateError> {
        self.admit_rules(rules, now_ms).await
    }

    async fn use_nonce(
        &self,
        nonce: &str,
        operator: &str,
        expires_ms: i64,
    ) -> Result<bool, StateError> {
        let c = self.client().await?;
        c.execute("DELETE FROM nonces WHERE expires < $1", &[&now_ms()])
            .await
            .map_err(|e| self.err(e))?;
        let n = c
            .execute(
                "INSERT INTO nonces (nonce, operator, expires) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&nonce, &operator, &expires_ms],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(n == 1)
    }

    async fn record_use(
        &self,
        u: &CallUse,
        limits: &[UseLimit],
    ) -> Result<Result<i64, UseHit>, StateError> {
        self.take_use(u, limits).await
    }

    async fn finish_use(&self, id: i64, ok: bool, output: u64) -> Result<(), StateError> {
        self.write_finish(id, ok, output).await
    }

    async fn task_history(&self, task: &str) -> Result<TaskHistory, StateError> {
        self.read_history(task).await
    }

    async fn usage(&self, scope: &UsageScope, since_ms: i64) -> Result<Usage, StateError> {
        self.read_usage(scope, since_ms).await
    }

    async fn request_reload(&self, by: &str) -> Result<u64, StateError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(|e| self.err(e))?;
        let id: i64 = tx
            .query_one(
                "INSERT INTO reloads (by, at) VALUES ($1, $2) RETURNING id",
                &[&by, &now_ms()],
            )
            .await
            .map_err(|e| self.err(e))?
            .get(0);
        tx.execute(NOTIFY, &[&"reload"])
            .await
            .map_err(|e| self.err(e))?;
        tx.commit().await.map_err(|e| self.err(e))?;
        self.changed_locally();
        Ok(u64::try_from(id).unwrap_or(0))
    }

    async fn reload_request(&self) -> Result<(u64, Option<String>), StateError> {
        let c = self.client().await?;
        let r = c
            .query_opt("SELECT id, by FROM reloads ORDER BY id DESC LIMIT 1", &[])
            .await
            .map_err(|e| self.err(e))?;
        Ok(r.map_or((0, None), |r| {
            (
                u64::try_from(r.get::<_, i64>(0)).unwrap_or(0),
                Some(r.get(1)),
            )
        }))
    }

    async fn release_in_force(&self) -> Result<Option<StoredRelease>, StateError> {
        self.read_release(None).await
    }

    async fn release(&self, version: u64) -> Result<Option<StoredRelease>, StateError> {
        self.read_release(Some(version)).await
    }

    async fn put_release(
        &self,
        r: &StoredRelease,
        files: &[(String, Vec<u8>)],
    ) -> Result<bool, StateError> {
        self.write_release(r, files).await
    }

    async fn release_file(&self, digest: &str) -> Result<Option<Vec<u8>>, StateError> {
        self.read_release_file(digest).await
    }

    async fn propose(
        &self,
        digest: &str,
        doc: &[u8],
        signature: &str,
    ) -> Result<Vec<String>, StateError> {
        self.write_proposal(digest, doc, signature).await
    }

    async fn proposals(&self) -> Result<Vec<crate::state::Proposal>, StateError> {
        self.read_proposals().await
    }

    fn fleet(&self) -> Option<&dyn crate::state::FleetRegistry> {
        Some(self)
    }

    fn shares_slots(&self) -> bool {
        true
    }

    fn silence(&self) -> Option<std::time::Duration> {
        PostgresState::silence(self)
    }

    async fn enter_slots(
        &self,
        slots: &[(String, u32)],
        expires_ms: i64,
        owner: &str,
    ) -> Result<Result<i64, (String, u32)>, StateError> {
        self.take_slots(slots, expires_ms, owner).await
    }

    async fn leave_slots(&self, lease: i64) -> Result<(), StateError> {
        self.give_slots(lease).await
    }

    async fn leave_slots_of(&self, owner: &str) -> Result<u64, StateError> {
        let c = self.client().await?;
        c.execute("DELETE FROM inflight_slots WHERE owner = $1", &[&owner])
            .await
            .map_err(|e| self.err(e))
    }

    async fn publish_token_key(&self, key: &PublishedKey) -> Result<(), StateError> {
        self.write_token_key(key).await
    }

    async fn token_key(&self, kid: &str) -> Result<Option<PublishedKey>, StateError> {
        self.read_token_key(kid).await
    }

    async fn token_keys(&self) -> Result<Vec<PublishedKey>, StateError> {
        self.read_token_keys().await
    }

    async fn put_doc(&self, kind: &str, id: &str, body: &str, exp: i64) -> Result<(), StateError> {
        self.write_doc(kind, id, body, exp).await
    }

    async fn doc(&self, kind: &str, id: &str) -> Result<Option<String>, StateError> {
        self.read_doc(kind, id).await
    }

    async fn take_doc(&self, kind: &str, id: &str) -> Result<Option<String>, StateError> {
        self.remove_doc(kind, id).await
    }
}
