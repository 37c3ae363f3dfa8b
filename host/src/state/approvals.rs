//! Approval requests: bound to the exact call and plugin, decided by a
//! quorum of distinct operators (one denial decides), usable once,
//! expiring. Durable.
//!
//! The algorithms are here, once, over [`ApprovalsTx`].

use super::tx::Tx;
use super::{Approval, ApprovalBinding, ApprovalStatus, Decided, NewApproval, StateError, now_ms};

/// Approval requests and the operators' decisions on them.
#[async_trait::async_trait]
pub trait Approvals: Send + Sync {
    /// Store a new pending approval request.
    async fn request_approval(&self, new: &NewApproval) -> Result<Approval, StateError>;

    /// One request by id.
    async fn approval(&self, id: &str) -> Result<Option<Approval>, StateError>;

    /// The newest open (pending, or approved and unused; unexpired) request
    /// for exactly this call.
    async fn open_approval_for(
        &self,
        binding: &ApprovalBinding,
    ) -> Result<Option<Approval>, StateError>;

    /// One operator's decision on a pending, unexpired request: a denial
    /// decides it; approvals are counted per distinct operator until the
    /// request has as many as it requires.
    async fn decide_approval(
        &self,
        id: &str,
        approve: bool,
        by: &str,
        reason: &str,
    ) -> Result<Decided, StateError>;

    /// Use an approved request, once; false when it is not (or no longer)
    /// usable.
    async fn consume_approval(&self, id: &str) -> Result<bool, StateError>;

    /// Requests, newest first; only pending, unexpired ones unless `all`.
    async fn list_approvals(&self, all: bool) -> Result<Vec<Approval>, StateError>;
}

/// The statements of approval requests (`approvals`) and the operators'
/// votes on them (`approval_votes`). Every request read comes with its
/// votes.
pub(crate) trait ApprovalsTx {
    /// Store a new pending request `id`, requested `now`.
    async fn insert_approval(
        &mut self,
        id: &str,
        new: &NewApproval,
        now: i64,
    ) -> Result<(), StateError>;
    /// Request `id`; with `lock`, held until the transaction ends.
    async fn approval(&mut self, id: &str, lock: bool) -> Result<Option<Approval>, StateError>;
    /// The requests for exactly this call, newest first.
    async fn requests_for(&mut self, b: &ApprovalBinding) -> Result<Vec<Approval>, StateError>;
    /// Count `by`'s approval of `id` unless it is counted; whether it was
    /// not.
    async fn insert_vote(&mut self, id: &str, by: &str, now: i64) -> Result<bool, StateError>;
    /// The operators who approved `id`, in the order they did.
    async fn votes(&mut self, id: &str) -> Result<Vec<String>, StateError>;
    /// Decide `id`: `status` by `by` at `now`, for `reason`.
    async fn set_decided(
        &mut self,
        id: &str,
        status: ApprovalStatus,
        by: &str,
        now: i64,
        reason: &str,
    ) -> Result<(), StateError>;
    /// Mark `id` used at `now`.
    async fn set_used(&mut self, id: &str, now: i64) -> Result<(), StateError>;
}

/// Whether a request can still be decided at `now`.
fn pending(a: &Approval, now: i64) -> bool {
    a.status == ApprovalStatus::Pending && !a.expired(now)
}

/// Whether a request is open at `now`: pending, or approved and unused
/// (a used one is [`ApprovalStatus::Used`]); unexpired.
fn open(a: &Approval, now: i64) -> bool {
    matches!(a.status, ApprovalStatus::Pending | ApprovalStatus::Approved) && !a.expired(now)
}

/// [`Approvals::request_approval`] in `tx`.
pub(crate) async fn request<T: ApprovalsTx + Tx>(
    mut tx: T,
    new: &NewApproval,
) -> Result<Approval, StateError> {
    let id = crate::vocab::random_id("apr", 6);
    tx.insert_approval(&id, new, now_ms()).await?;
    let stored = tx.approval(&id, false).await?;
    let stored = stored.ok_or_else(|| tx.error("the new approval request is not there"))?;
    tx.commit().await?;
    Ok(stored)
}

/// [`Approvals::open_approval_for`], read on `r`.
pub(crate) async fn open_for<R: ApprovalsTx>(
    mut r: R,
    b: &ApprovalBinding,
) -> Result<Option<Approval>, StateError> {
    let now = now_ms();
    Ok(r.requests_for(b).await?.into_iter().find(|a| open(a, now)))
}

/// [`Approvals::decide_approval`] in `tx`, the request locked: a denial
/// decides it; an approval is a vote, once per operator, and approves it
/// when the request has as many votes as it requires.
pub(crate) async fn decide<T: ApprovalsTx + Tx>(
    mut tx: T,
    id: &str,
    approve: bool,
    by: &str,
    reason: &str,
) -> Result<Decided, StateError> {
    let now = now_ms();
    let Some(a) = tx.approval(id, true).await?.filter(|a| pending(a, now)) else {
        return Ok(Decided::NotPending);
    };
    if approve {
        if !tx.insert_vote(id, by, now).await? {
            return Ok(Decided::AlreadyVoted);
        }
        let votes = tx.votes(id).await?;
        if votes.len() >= a.required as usize {
            let names = votes.join(", ");
            tx.set_decided(id, ApprovalStatus::Approved, &names, now, reason)
                .await?;
        }
    } else {
        tx.set_decided(id, ApprovalStatus::Denied, by, now, reason)
            .await?;
    }
    let now_stands = tx.approval(id, false).await?;
    tx.commit().await?;
    Ok(match now_stands {
        Some(a) => Decided::Recorded(Box::new(a)),
        None => Decided::NotPending,
    })
}

/// [`Approvals::consume_approval`] in `tx`, the request locked: only an
/// approved, unused, unexpired request is used.
pub(crate) async fn consume<T: ApprovalsTx + Tx>(mut tx: T, id: &str) -> Result<bool, StateError> {
    let now = now_ms();
    let usable = tx.approval(id, true).await?.is_some_and(|a| {
        a.status == ApprovalStatus::Approved && a.used_at.is_none() && !a.expired(now)
    });
    if usable {
        tx.set_used(id, now).await?;
        tx.commit().await?;
    }
    Ok(usable)
}
