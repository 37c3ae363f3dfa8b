//! Counting calls against limits: rate windows, budgets (what ran, by task,
//! agent and tool), task history, and in-flight caps counted across a
//! fleet. Counts are written with relaxed durability (SQLite's connection
//! that does not fsync; PostgreSQL's `synchronous_commit` off): losing the
//! last moment of counts in a crash is harmless, and the audit chain keeps
//! every call anyway.
//!
//! The algorithms are here, once, over [`LimitsTx`] and [`SlotsTx`]; each
//! backend supplies only their statements.

use super::tx::{Lock, Tx, lock_all};
use super::{CallUse, LimitHit, RateRule, StateError, TaskHistory, Usage, UsageScope, UseHit};
use super::{UseLimit, now_ms};

/// Rate windows, budgets and in-flight caps, shared by every process on
/// the state.
#[async_trait::async_trait]
pub trait Limits: Send + Sync {
    /// Count a call against every rule, or refuse naming the first limit
    /// that is full (and count nothing). Windows are shared by every
    /// process on this state.
    async fn admit(
        &self,
        rules: &[RateRule],
        now_ms: i64,
    ) -> Result<Result<(), LimitHit>, StateError>;

    /// Count a call that starts running (task history, budgets) unless one
    /// of `limits` is reached — checked and counted in one transaction, so
    /// that concurrent calls in any number of processes never take more
    /// than a budget holds; the call's id for [`Limits::finish_use`], or
    /// the limit it would go over (and nothing is counted).
    async fn record_use(
        &self,
        u: &CallUse,
        limits: &[UseLimit],
    ) -> Result<Result<i64, UseHit>, StateError>;

    /// Its outcome: whether it succeeded and the bytes it returned.
    async fn finish_use(&self, id: i64, ok: bool, output: u64) -> Result<(), StateError>;

    /// What already ran in `task`.
    async fn task_history(&self, task: &str) -> Result<TaskHistory, StateError>;

    /// The calls of `scope` since `since_ms`.
    async fn usage(&self, scope: &UsageScope, since_ms: i64) -> Result<Usage, StateError>;

    /// Whether concurrency caps are counted here, across the fleet (else
    /// each process counts its own).
    fn shares_slots(&self) -> bool {
        false
    }

    /// Take one in-flight slot under each `(key, max)` until `expires_ms`
    /// (a lease a crashed host cannot keep), for `owner` (the host process
    /// taking it), or refuse naming the first cap that is full; the lease
    /// id.
    async fn enter_slots(
        &self,
        _slots: &[(String, u32)],
        _expires_ms: i64,
        _owner: &str,
    ) -> Result<Result<i64, (String, u32)>, StateError> {
        Ok(Ok(0))
    }

    /// Whether this process holds calls of a budget slice for `task`,
    /// `agent` and `tool` now — their budgets had room when it was taken,
    /// so an early check need not read them (the call is counted, and
    /// checked, when it starts: [`Limits::record_use`]).
    fn holds_uses(&self, _task: &str, _agent: &str, _tool: &str, _now_ms: i64) -> bool {
        false
    }

    /// Give back what this process holds of rate windows and budgets and
    /// did not use (it stops).
    async fn give_back_leases(&self) -> Result<(), StateError> {
        Ok(())
    }

    /// Give a lease's slots back.
    async fn leave_slots(&self, _lease: i64) -> Result<(), StateError> {
        Ok(())
    }

    /// Give back every slot `owner` holds (a process that died without
    /// giving them back); how many.
    async fn leave_slots_of(&self, _owner: &str) -> Result<u64, StateError> {
        Ok(0)
    }
}

/// The statements of rate windows (`rate_events`) and calls that ran
/// (`call_uses`).
pub(crate) trait LimitsTx {
    /// Forget the events of window `key` at or before `at_or_before`.
    async fn prune_rate(&mut self, key: &str, at_or_before: i64) -> Result<(), StateError>;
    /// The events in window `key`.
    async fn count_rate(&mut self, key: &str) -> Result<i64, StateError>;
    /// Count an event in window `key` at `at`.
    async fn insert_rate(&mut self, key: &str, at: i64) -> Result<(), StateError>;
    /// The calls of `scope` since `since_ms`.
    async fn usage(&mut self, scope: &UsageScope, since_ms: i64) -> Result<Usage, StateError>;
    /// Count a call; its id.
    async fn insert_use(&mut self, u: &CallUse) -> Result<i64, StateError>;
    /// Record a call's outcome, once: the call (its task, agent, tool and
    /// impact) when this was its first outcome.
    async fn finish_use(
        &mut self,
        id: i64,
        ok: bool,
        output: i64,
    ) -> Result<Option<CallUse>, StateError>;
    /// The running total of the scope `key` (`task:…`, `agent:…`,
    /// `tool:…`): every call counted in it ever.
    async fn use_total(&mut self, key: &str) -> Result<Usage, StateError>;
    /// Add to the running total of the scope `key`.
    async fn add_total(
        &mut self,
        key: &str,
        calls: i64,
        high: i64,
        output: i64,
    ) -> Result<(), StateError>;
    /// The calls of `task`: `(tool, high impact, succeeded)` each.
    async fn uses_of(
        &mut self,
        task: &str,
    ) -> Result<Vec<(String, bool, Option<bool>)>, StateError>;
}

/// The statements of in-flight slots (`inflight_slots`).
pub(crate) trait SlotsTx {
    /// Forget the slots of `key` whose lease ran out by `now`.
    async fn prune_slots(&mut self, key: &str, now: i64) -> Result<(), StateError>;
    /// The slots taken under `key`.
    async fn count_slots(&mut self, key: &str) -> Result<i64, StateError>;
    /// A new lease id.
    async fn new_lease(&mut self) -> Result<i64, StateError>;
    /// Take a slot under `key` for `lease`.
    async fn insert_slot(
        &mut self,
        lease: i64,
        key: &str,
        expires_ms: i64,
        owner: &str,
    ) -> Result<(), StateError>;
}

/// The length of a rate window in ms.
pub(crate) fn window_ms(r: &RateRule) -> i64 {
    i64::try_from(r.per.as_millis()).unwrap_or(i64::MAX)
}

/// [`Limits::admit`] in `tx` (rules not empty): every window locked in one
/// order; each pruned and counted, the first full one refusing (the pruning
/// kept); then the call counted in every window.
pub(crate) async fn admit<T: LimitsTx + Tx>(
    mut tx: T,
    rules: &[RateRule],
    now_ms: i64,
) -> Result<Result<(), LimitHit>, StateError> {
    lock_all(&mut tx, Lock::Rate, rules.iter().map(|r| r.key.as_str())).await?;
    for r in rules {
        tx.prune_rate(&r.key, now_ms.saturating_sub(window_ms(r)))
            .await?;
        if tx.count_rate(&r.key).await? >= i64::from(r.calls) {
            tx.commit().await?;
            return Ok(Err(LimitHit {
                key: r.key.clone(),
                limit: r.text.clone(),
            }));
        }
    }
    for r in rules {
        tx.insert_rate(&r.key, now_ms).await?;
    }
    tx.commit().await?;
    Ok(Ok(()))
}

/// [`Limits::record_use`] in `tx`: every limit's scope locked in one
/// order; the first limit reached refuses (nothing counted); else the call
/// is counted.
pub(crate) async fn record_use<T: LimitsTx + Tx>(
    mut tx: T,
    u: &CallUse,
    limits: &[UseLimit],
) -> Result<Result<i64, UseHit>, StateError> {
    let keys: Vec<String> = limits.iter().map(UseLimit::lock_key).collect();
    lock_all(&mut tx, Lock::Use, keys.iter().map(String::as_str)).await?;
    let mut deltas = Deltas::default();
    for (index, l) in limits.iter().enumerate() {
        let used = used(&mut tx, l, &deltas).await?;
        if l.reached(&used, u.high) {
            return Ok(Err(UseHit { index, used }));
        }
    }
    let id = tx.insert_use(u).await?;
    deltas.add(u, 1, 0);
    deltas.apply(&mut tx).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// What was used of limit `l`: a budget without a window from its running
/// total (one row, however long the history) with what this transaction
/// has yet to add to it, one with a window counted.
pub(crate) async fn used<T: LimitsTx>(
    tx: &mut T,
    l: &UseLimit,
    pending: &Deltas,
) -> Result<Usage, StateError> {
    if l.since_ms > 0 {
        return tx.usage(&l.scope, l.since_ms).await;
    }
    let key = l.lock_key();
    let total = tx.use_total(&key).await?;
    let (calls, high, output) = pending.0.get(&key).copied().unwrap_or_default();
    let plus = |n: u64, d: i64| {
        u64::try_from(i64::try_from(n).unwrap_or(i64::MAX).saturating_add(d)).unwrap_or(0)
    };
    Ok(Usage {
        calls: plus(total.calls, calls),
        high_impact_calls: plus(total.high_impact_calls, high),
        output: plus(total.output, output),
    })
}

/// What a transaction adds to the running totals (calls, high-impact
/// calls, bytes of output) by scope key, written in one sorted pass at
/// its end — every transaction takes the totals' rows in the same order,
/// so two never wait on each other in a circle.
#[derive(Debug, Default)]
pub(crate) struct Deltas(std::collections::BTreeMap<String, (i64, i64, i64)>);

impl Deltas {
    /// Add `calls` calls like `u`, and `output` bytes, to its task's, its
    /// agent's and its tool's totals.
    pub(crate) fn add(&mut self, u: &CallUse, calls: i64, output: i64) {
        let high = if u.high { calls } else { 0 };
        for key in [
            format!("agent:{}", u.agent),
            format!("task:{}", u.task),
            format!("tool:{}", u.tool),
        ] {
            let e = self.0.entry(key).or_default();
            e.0 += calls;
            e.1 += high;
            e.2 += output;
        }
    }

    /// Write them, in key order.
    pub(crate) async fn apply<T: LimitsTx>(self, tx: &mut T) -> Result<(), StateError> {
        for (key, (calls, high, output)) in self.0 {
            if (calls, high, output) != (0, 0, 0) {
                tx.add_total(&key, calls, high, output).await?;
            }
        }
        Ok(())
    }
}

/// [`Limits::finish_use`] in `tx`.
pub(crate) async fn finish_use<T: LimitsTx + Tx>(
    mut tx: T,
    id: i64,
    ok: bool,
    output: u64,
) -> Result<(), StateError> {
    let output = i64::try_from(output).unwrap_or(i64::MAX);
    if let Some(u) = tx.finish_use(id, ok, output).await? {
        let mut deltas = Deltas::default();
        deltas.add(&u, 0, output);
        deltas.apply(&mut tx).await?;
    }
    tx.commit().await
}

/// [`Limits::task_history`], read on `r`.
pub(crate) async fn task_history<R: LimitsTx>(
    mut r: R,
    task: &str,
) -> Result<TaskHistory, StateError> {
    let mut h = TaskHistory::default();
    for (tool, high, ok) in r.uses_of(task).await? {
        h.calls += 1;
        h.high_impact_calls += u64::from(high);
        if ok == Some(true) {
            h.succeeded.insert(tool.clone());
        }
        h.tools.insert(tool);
    }
    Ok(h)
}

/// What the sums of a usage row are: negative sums (none) count as 0.
pub(crate) fn usage_of(calls: i64, high: i64, output: i64) -> Usage {
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    Usage {
        calls: n(calls),
        high_impact_calls: n(high),
        output: n(output),
    }
}

/// The column of `call_uses` a scope selects on, and its value.
pub(crate) fn scope_column(scope: &UsageScope) -> (&'static str, &str) {
    match scope {
        UsageScope::Task(t) => ("task", t),
        UsageScope::Agent(a) => ("agent", a),
        UsageScope::Tool(t) => ("tool", t),
    }
}

/// [`Limits::enter_slots`] in `tx`: every cap locked in one order; each
/// pruned of run-out leases and counted, the first full one refusing (the
/// pruning kept); else one lease takes a slot under every cap.
pub(crate) async fn enter_slots<T: SlotsTx + Tx>(
    mut tx: T,
    slots: &[(String, u32)],
    expires_ms: i64,
    owner: &str,
) -> Result<Result<i64, (String, u32)>, StateError> {
    lock_all(&mut tx, Lock::Slot, slots.iter().map(|(k, _)| k.as_str())).await?;
    for (key, max) in slots {
        tx.prune_slots(key, now_ms()).await?;
        if tx.count_slots(key).await? >= i64::from(*max) {
            tx.commit().await?;
            return Ok(Err((key.clone(), *max)));
        }
    }
    let lease = tx.new_lease().await?;
    for (key, _) in slots {
        tx.insert_slot(lease, key, expires_ms, owner).await?;
    }
    tx.commit().await?;
    Ok(Ok(lease))
}
