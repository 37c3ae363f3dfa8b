//! Counting with leases (a fleet's shared state): the transactions that
//! give a host a slice of a rate window or of a budget, written once above
//! the backends like the rest of [`super::limits`]. See [`super::leases`]
//! for what a slice is and why a window or budget never admits more than it
//! holds.

use super::leases::{MIN_FREE, Slice, UseSlice, grant};
use super::limits::{Deltas, LimitsTx, used, window_ms};
use super::tx::{Lock, Tx, lock_all};
use super::{CallUse, LimitHit, RateRule, StateError, UseHit, UseLimit};

/// The statements of leases.
pub(crate) trait LeaseTx {
    /// Forget `n` of the events lease `lease` counted in window `key`.
    async fn give_back_rate(&mut self, key: &str, lease: i64, n: i64) -> Result<(), StateError>;
    /// A new lease id.
    async fn new_rate_lease(&mut self) -> Result<i64, StateError>;
    /// Count `n` events of lease `lease` in window `key`, dated `at`.
    async fn insert_rate_lease(
        &mut self,
        key: &str,
        at: i64,
        lease: i64,
        n: i64,
    ) -> Result<(), StateError>;
    /// Reserve `n` rows of `call_uses` for calls like `u`, dated `at`;
    /// their ids.
    async fn reserve_uses(&mut self, u: &CallUse, at: i64, n: i64) -> Result<Vec<i64>, StateError>;
    /// Forget reserved rows no call was given; the calls they were
    /// reserved for (one per row forgotten).
    async fn give_back_uses(&mut self, ids: &[i64]) -> Result<Vec<CallUse>, StateError>;
}

/// [`super::Limits::admit`] taking slices: every window locked in one
/// order; the unused calls of the slices this host `returned` given back;
/// each window pruned and counted, the first full one refusing (what was
/// given back stays given back); then this call counted in every window,
/// with a slice of the calls after it where the window has room. The
/// slices taken (this call already admitted from each).
pub(crate) async fn admit<T: LimitsTx + LeaseTx + Tx>(
    mut tx: T,
    rules: &[RateRule],
    now: i64,
    returned: &[(String, Slice)],
) -> Result<Result<Vec<(String, Slice)>, LimitHit>, StateError> {
    lock_all(&mut tx, Lock::Rate, rules.iter().map(|r| r.key.as_str())).await?;
    for (key, s) in returned {
        tx.give_back_rate(key, s.lease, s.left).await?;
    }
    let mut grants = Vec::with_capacity(rules.len());
    for r in rules {
        tx.prune_rate(&r.key, now.saturating_sub(window_ms(r)))
            .await?;
        let free = i64::from(r.calls) - tx.count_rate(&r.key).await?;
        if free <= 0 {
            tx.commit().await?;
            return Ok(Err(LimitHit {
                key: r.key.clone(),
                limit: r.text.clone(),
            }));
        }
        grants.push(grant(free, window_ms(r), now));
    }
    let mut slices = Vec::new();
    for (r, g) in rules.iter().zip(grants) {
        match g.lease_ms {
            None => tx.insert_rate(&r.key, g.at).await?,
            Some(ms) => {
                let lease = tx.new_rate_lease().await?;
                tx.insert_rate_lease(&r.key, g.at, lease, g.events).await?;
                slices.push((
                    r.key.clone(),
                    Slice {
                        lease,
                        left: g.events - 1,
                        until_ms: now.saturating_add(ms),
                    },
                ));
            }
        }
    }
    tx.commit().await?;
    Ok(Ok(slices))
}

/// [`super::Limits::record_use`] taking a slice: every limit's scope locked
/// in one order; the rows this host `returned` given back; the first limit
/// reached refuses; else this call is counted, with rows reserved for the
/// calls after it when every limit has room. This call's row, and the
/// slice.
pub(crate) async fn record_use<T: LimitsTx + LeaseTx + Tx>(
    mut tx: T,
    u: &CallUse,
    limits: &[UseLimit],
    returned: &[i64],
) -> Result<Result<(i64, Option<UseSlice>), UseHit>, StateError> {
    let keys: Vec<String> = limits.iter().map(UseLimit::lock_key).collect();
    lock_all(&mut tx, Lock::Use, keys.iter().map(String::as_str)).await?;
    let mut deltas = Deltas::default();
    give_back_uses(&mut tx, returned, &mut deltas).await?;
    let mut free = i64::MAX;
    let mut window = i64::MAX;
    for (index, l) in limits.iter().enumerate() {
        let used = used(&mut tx, l, &deltas).await?;
        if l.reached(&used, u.high) {
            deltas.apply(&mut tx).await?;
            tx.commit().await?;
            return Ok(Err(UseHit { index, used }));
        }
        // Bytes of output are only known when a call ends: a budget of
        // them is counted call by call.
        let left = |max: Option<u64>, n: u64| max.map_or(i64::MAX, |m| m.saturating_sub(n) as i64);
        free = free
            .min(left(l.calls, used.calls))
            .min(if u.high {
                left(l.high_impact_calls, used.high_impact_calls)
            } else {
                i64::MAX
            })
            .min(if l.output.is_some() { 0 } else { i64::MAX });
        if l.since_ms > 0 {
            window = window.min(u.at.saturating_sub(l.since_ms));
        }
    }
    let g = grant(free.min(i64::MAX / 2), window, u.at);
    let taken = match g.lease_ms {
        Some(ms) if free >= MIN_FREE => {
            let mut ids = tx.reserve_uses(u, g.at, g.events).await?;
            deltas.add(u, g.events, 0);
            let id = ids.pop().ok_or_else(|| tx.error("no row was reserved"))?;
            let slice = UseSlice {
                ids,
                until_ms: u.at.saturating_add(ms),
            };
            (id, Some(slice))
        }
        _ => {
            let id = tx.insert_use(u).await?;
            deltas.add(u, 1, 0);
            (id, None)
        }
    };
    deltas.apply(&mut tx).await?;
    tx.commit().await?;
    Ok(Ok(taken))
}

/// Give back every slice's unused calls (a host stopping).
pub(crate) async fn give_back<T: LimitsTx + LeaseTx + Tx>(
    mut tx: T,
    rates: &[(String, super::leases::Slice)],
    uses: &[i64],
) -> Result<(), StateError> {
    for (key, s) in rates {
        tx.give_back_rate(key, s.lease, s.left).await?;
    }
    let mut deltas = Deltas::default();
    give_back_uses(&mut tx, uses, &mut deltas).await?;
    deltas.apply(&mut tx).await?;
    tx.commit().await
}

/// Forget the reserved rows `ids`, taking them off the running totals
/// (in `deltas`, written at the transaction's end).
async fn give_back_uses<T: LeaseTx>(
    tx: &mut T,
    ids: &[i64],
    deltas: &mut Deltas,
) -> Result<(), StateError> {
    if !ids.is_empty() {
        for u in tx.give_back_uses(ids).await? {
            deltas.add(&u, -1, 0);
        }
    }
    Ok(())
}
