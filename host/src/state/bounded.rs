//! Every operation on a networked shared state, bounded in time. A
//! connection that stays open while nothing gets through (a dropped route,
//! a hung proxy) would otherwise hold a call — or the watcher — forever; a
//! bounded operation fails instead, and failing closed takes over from
//! there. (SQLite's operations are bounded by its busy timeout.)

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::{
    Approval, ApprovalBinding, Approvals, CallUse, Decided, FleetRegistry, Freshness, LimitHit,
    Limits, NewApproval, Proposal, PublishedKey, RateRule, Releases, Serving, SharedState,
    StateError, StopState, StopTarget, Stops, StoredRelease, TaskHistory, Usage, UsageScope,
    UseHit, UseLimit, VersionMark,
};

/// `S`, every operation of which fails after `limit`.
#[derive(Debug)]
pub(crate) struct Bounded<S> {
    inner: Arc<S>,
    limit: Duration,
}

impl<S> Bounded<S> {
    pub(crate) fn new(inner: Arc<S>, limit: Duration) -> Self {
        Self { inner, limit }
    }

    async fn within<T>(
        &self,
        what: &str,
        op: impl Future<Output = Result<T, StateError>>,
    ) -> Result<T, StateError> {
        tokio::time::timeout(self.limit, op)
            .await
            .unwrap_or_else(|_| {
                Err(StateError::Db {
                    path: "shared state".into(),
                    why: format!(
                        "no answer to {what} within {} s (the database may be partitioned away)",
                        self.limit.as_secs()
                    ),
                })
            })
    }
}

#[async_trait::async_trait]
impl<S: SharedState + 'static> Stops for Bounded<S> {
    async fn change_marker(&self) -> Result<u64, StateError> {
        self.within("a change check", self.inner.change_marker())
            .await
    }

    fn local_changes(&self) -> u64 {
        self.inner.local_changes()
    }

    async fn stop_state(&self) -> Result<StopState, StateError> {
        self.within("reading the stop state", self.inner.stop_state())
            .await
    }

    async fn set_stop(
        &self,
        target: &StopTarget,
        on: bool,
        by: &str,
        reason: &str,
    ) -> Result<bool, StateError> {
        self.within("a stop button", self.inner.set_stop(target, on, by, reason))
            .await
    }

    async fn revoke_token(
        &self,
        token_id: &str,
        by: &str,
        reason: &str,
    ) -> Result<bool, StateError> {
        self.within(
            "a revocation",
            self.inner.revoke_token(token_id, by, reason),
        )
        .await
    }

    fn silence(&self) -> Option<Duration> {
        self.inner.silence()
    }
}

#[async_trait::async_trait]
impl<S: SharedState + 'static> Approvals for Bounded<S> {
    async fn request_approval(&self, new: &NewApproval) -> Result<Approval, StateError> {
        self.within("an approval request", self.inner.request_approval(new))
            .await
    }

    async fn approval(&self, id: &str) -> Result<Option<Approval>, StateError> {
        self.within("reading an approval", self.inner.approval(id))
            .await
    }

    async fn open_approval_for(
        &self,
        binding: &ApprovalBinding,
    ) -> Result<Option<Approval>, StateError> {
        self.within("reading an approval", self.inner.open_approval_for(binding))
            .await
    }

    async fn decide_approval(
        &self,
        id: &str,
        approve: bool,
        by: &str,
        reason: &str,
    ) -> Result<Decided, StateError> {
        self.within(
            "an approval decision",
            self.inner.decide_approval(id, approve, by, reason),
        )
        .await
    }

    async fn consume_approval(&self, id: &str) -> Result<bool, StateError> {
        self.within("using an approval", self.inner.consume_approval(id))
            .await
    }

    async fn list_approvals(&self, all: bool) -> Result<Vec<Approval>, StateError> {
        self.within("listing approvals", self.inner.list_approvals(all))
            .await
    }
}

#[async_trait::async_trait]
impl<S: SharedState + 'static> Limits for Bounded<S> {
    async fn admit(
        &self,
        rules: &[RateRule],
        now_ms: i64,
    ) -> Result<Result<(), LimitHit>, StateError> {
        self.within("a rate window", self.inner.admit(rules, now_ms))
            .await
    }

    async fn record_use(
        &self,
        u: &CallUse,
        limits: &[UseLimit],
    ) -> Result<Result<i64, UseHit>, StateError> {
        self.within("counting a call", self.inner.record_use(u, limits))
            .await
    }

    async fn finish_use(&self, id: i64, ok: bool, output: u64) -> Result<(), StateError> {
        self.within("counting a call", self.inner.finish_use(id, ok, output))
            .await
    }

    async fn task_history(&self, task: &str) -> Result<TaskHistory, StateError> {
        self.within("a task's history", self.inner.task_history(task))
            .await
    }

    async fn usage(&self, scope: &UsageScope, since_ms: i64) -> Result<Usage, StateError> {
        self.within("a budget's usage", self.inner.usage(scope, since_ms))
            .await
    }

    fn shares_slots(&self) -> bool {
        self.inner.shares_slots()
    }

    async fn enter_slots(
        &self,
        slots: &[(String, u32)],
        expires_ms: i64,
        owner: &str,
    ) -> Result<Result<i64, (String, u32)>, StateError> {
        self.within(
            "taking in-flight slots",
            self.inner.enter_slots(slots, expires_ms, owner),
        )
        .await
    }

    async fn leave_slots(&self, lease: i64) -> Result<(), StateError> {
        self.within("giving slots back", self.inner.leave_slots(lease))
            .await
    }

    async fn leave_slots_of(&self, owner: &str) -> Result<u64, StateError> {
        self.within("giving slots back", self.inner.leave_slots_of(owner))
            .await
    }

    fn holds_uses(&self, task: &str, agent: &str, tool: &str, now_ms: i64) -> bool {
        self.inner.holds_uses(task, agent, tool, now_ms)
    }

    async fn give_back_leases(&self) -> Result<(), StateError> {
        self.within("giving slices back", self.inner.give_back_leases())
            .await
    }
}

#[async_trait::async_trait]
impl<S: SharedState + 'static> Freshness for Bounded<S> {
    async fn highest_version(&self, plugin: &str) -> Result<Option<VersionMark>, StateError> {
        self.within("a version mark", self.inner.highest_version(plugin))
            .await
    }

    async fn record_version(&self, plugin: &str, mark: &VersionMark) -> Result<(), StateError> {
        self.within("a version mark", self.inner.record_version(plugin, mark))
            .await
    }

    async fn reset_version(&self, plugin: &str) -> Result<Option<VersionMark>, StateError> {
        self.within("a version reset", self.inner.reset_version(plugin))
            .await
    }

    async fn use_nonce(
        &self,
        nonce: &str,
        operator: &str,
        expires_ms: i64,
    ) -> Result<bool, StateError> {
        self.within("a nonce", self.inner.use_nonce(nonce, operator, expires_ms))
            .await
    }
}

#[async_trait::async_trait]
impl<S: SharedState + 'static> Releases for Bounded<S> {
    async fn request_reload(&self, by: &str) -> Result<u64, StateError> {
        self.within("a reload request", self.inner.request_reload(by))
            .await
    }

    async fn reload_request(&self) -> Result<(u64, Option<String>), StateError> {
        self.within("a reload check", self.inner.reload_request())
            .await
    }

    async fn release_in_force(&self) -> Result<Option<StoredRelease>, StateError> {
        self.within(
            "reading the release in force",
            self.inner.release_in_force(),
        )
        .await
    }

    async fn release(&self, version: u64) -> Result<Option<StoredRelease>, StateError> {
        self.within("reading a release", self.inner.release(version))
            .await
    }

    async fn put_release(
        &self,
        r: &StoredRelease,
        files: &[(String, Vec<u8>)],
    ) -> Result<bool, StateError> {
        self.within("storing a release", self.inner.put_release(r, files))
            .await
    }

    async fn release_file(&self, digest: &str) -> Result<Option<Vec<u8>>, StateError> {
        self.within("reading a release's file", self.inner.release_file(digest))
            .await
    }

    async fn propose(
        &self,
        digest: &str,
        doc: &[u8],
        signature: &str,
    ) -> Result<Vec<String>, StateError> {
        self.within(
            "storing a signature",
            self.inner.propose(digest, doc, signature),
        )
        .await
    }

    async fn proposals(&self) -> Result<Vec<Proposal>, StateError> {
        self.within("reading proposals", self.inner.proposals())
            .await
    }
}

#[async_trait::async_trait]
impl<S: SharedState + 'static> Serving for Bounded<S> {
    async fn publish_token_key(&self, key: &PublishedKey) -> Result<(), StateError> {
        self.within("publishing a token key", self.inner.publish_token_key(key))
            .await
    }

    async fn token_key(&self, kid: &str) -> Result<Option<PublishedKey>, StateError> {
        self.within("reading a token key", self.inner.token_key(kid))
            .await
    }

    async fn token_keys(&self) -> Result<Vec<PublishedKey>, StateError> {
        self.within("reading the token keys", self.inner.token_keys())
            .await
    }

    async fn put_doc(
        &self,
        kind: &str,
        id: &str,
        body: &str,
        expires_ms: i64,
    ) -> Result<(), StateError> {
        self.within(
            "storing a shared document",
            self.inner.put_doc(kind, id, body, expires_ms),
        )
        .await
    }

    async fn doc(&self, kind: &str, id: &str) -> Result<Option<String>, StateError> {
        self.within("reading a shared document", self.inner.doc(kind, id))
            .await
    }

    async fn take_doc(&self, kind: &str, id: &str) -> Result<Option<String>, StateError> {
        self.within("taking a shared document", self.inner.take_doc(kind, id))
            .await
    }
}

impl<S: SharedState + 'static> SharedState for Bounded<S> {
    fn fleet(&self) -> Option<&dyn FleetRegistry> {
        self.inner.fleet()
    }
}
