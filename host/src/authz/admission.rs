//! The last step of authorization, after any approval wait and just
//! before the call runs: [`Authz::admit`] checks the stop buttons and the
//! token's time again, takes the concurrency slots (this process's and,
//! on a fleet's shared state, a lease on the fleet's), and counts the call
//! against its budgets in one transaction of the shared state. It returns
//! the refusal, with its layer, or an [`Admission`] that holds all of it:
//! the slots go back when the admission is dropped, and the counted use is
//! completed with the call's outcome ([`Admission::finish`]) — or, if the
//! call never ran, as a failure that returned nothing.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::authz::{Authz, CapHit, Grant, InflightGuard, Refusal};
use crate::state::{SharedState, StopState};

/// What lets an allowed call run: its concurrency slots and its counted
/// use, given back and completed when it ends.
#[derive(Debug)]
#[must_use = "dropping an admission gives its slots back"]
pub struct Admission {
    slots: Option<InflightGuard>,
    /// The shared state's id of the counted use, when budgets or policies
    /// count calls.
    counted: Option<i64>,
    /// Whether the counted use's outcome may be written after the answer:
    /// nothing decides on it (no policy reads the task's history, no budget
    /// caps bytes of output).
    later: bool,
    state: Arc<dyn SharedState>,
}

/// Outcomes this process has still to write after their calls' answers.
static DEFERRED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Wait until every outcome written after its answer is written, for at
/// most `limit` (a process stopping: a one-shot command must not exit
/// before them); whether none is left.
pub async fn deferred_written(limit: std::time::Duration) -> bool {
    let until = tokio::time::Instant::now() + limit;
    while DEFERRED.load(std::sync::atomic::Ordering::Acquire) > 0 {
        if tokio::time::Instant::now() >= until {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    true
}

impl Admission {
    /// The call ran: give its slots back and complete its counted use
    /// with whether it succeeded and the bytes it returned — before the
    /// answer when a decision reads it (a policy reading the task's
    /// history, a budget of output bytes), else after it, off the call's
    /// path (on a fleet's shared state, a round trip saved).
    pub async fn finish(mut self, ok: bool, output: u64) {
        self.slots = None;
        let Some(id) = self.counted.take() else {
            return;
        };
        let state = Arc::clone(&self.state);
        let write = async move {
            if let Err(e) = state.finish_use(id, ok, output).await {
                tracing::warn!("the call's use could not be counted: {e}");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) if self.later => {
                DEFERRED.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                drop(rt.spawn(async move {
                    write.await;
                    DEFERRED.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
                }));
            }
            _ => write.await,
        }
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        // Admitted but never run (its record could not be written, or the
        // caller went away): counted as a failure that returned nothing.
        if let Some(id) = self.counted.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            let state = Arc::clone(&self.state);
            rt.spawn(async move {
                if let Err(e) = state.finish_use(id, false, 0).await {
                    tracing::warn!("an unrun call's use could not be completed: {e}");
                }
            });
        }
    }
}

impl Authz {
    /// Admit `grant` to run now, under `stops`: the stop buttons and the
    /// token's time (again, after any wait), nothing of high impact while
    /// the shared state is out of reach (`degraded`, why it is), the
    /// concurrency caps (layer `concurrency`; on a fleet's shared state across
    /// every host, a lease held for the call's longest run and a minute,
    /// so a crashed host's lease expires by itself), and the budgets,
    /// counted (layer `budget`). `owner` names this host on the fleet's
    /// leases.
    ///
    /// # Errors
    ///
    /// The [`Refusal`] that applies, naming its layer.
    pub async fn admit(
        &self,
        grant: &Grant<'_>,
        stops: &StopState,
        now: DateTime<Utc>,
        owner: &str,
        degraded: Option<&str>,
    ) -> Result<Admission, Refusal> {
        self.recheck(grant, stops, now)?;
        if let Some(why) = degraded
            && grant.impact() == crate::vocab::Impact::High
        {
            return Err(Refusal::Degraded {
                why: why.to_owned(),
            });
        }
        let caps = self.concurrency_rules(grant.agent, &grant.qualified);
        let mut slots = self
            .limiter
            .enter(&caps)
            .map_err(|hit| Refusal::Concurrency(hit.to_string()))?;
        if !caps.is_empty() && self.state.shares_slots() {
            let keys: Vec<(String, u32)> = caps.iter().map(|c| (c.key.clone(), c.max)).collect();
            let timeout = grant.plugin.plugin.timeout();
            let hold = i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX / 4) + 60_000;
            match self
                .state
                .enter_slots(&keys, crate::state::now_ms() + hold, owner)
                .await
            {
                Ok(Ok(lease)) => slots = slots.with_lease(Arc::clone(&self.state), lease),
                Ok(Err((key, max))) => {
                    return Err(Refusal::Concurrency(
                        CapHit { key, max }.to_string() + " across the fleet",
                    ));
                }
                Err(e) => {
                    return Err(Refusal::Host(format!(
                        "the fleet's in-flight counts cannot be read: {e}"
                    )));
                }
            }
        }
        // Counted last: a call refused above uses no budget.
        let counted = self.count_use(&grant.spend()).await?;
        let later = !self.uses_history() && self.config.budgets.iter().all(|b| b.output.is_none());
        Ok(Admission {
            slots: Some(slots),
            counted,
            later,
            state: Arc::clone(&self.state),
        })
    }
}
