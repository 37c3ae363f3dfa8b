//! Counting a call that is about to run: its use (budgets, task history)
//! and, on a fleet's shared state, its in-flight slots across every host.

use crate::authz::{Grant, Refusal};
use crate::mediation::Host;

impl Host {
    /// Count a call that is about to run, where budgets or policies need
    /// it (its budgets checked again in the same transaction); a call that
    /// cannot be counted does not run.
    pub(super) async fn count_use(
        &self,
        loaded: &crate::mediation::Loaded,
        grant: &Grant<'_>,
    ) -> Result<Option<i64>, Refusal> {
        loaded.authz.count_use(&grant.spend()).await
    }

    /// On a fleet's shared state: a lease on the caps' slots across every
    /// host, held for the call's longest run and a minute (a crashed host's
    /// lease expires by itself).
    pub(super) async fn fleet_slots(
        &self,
        caps: &[crate::authz::ConcurrencyRule],
        timeout: std::time::Duration,
    ) -> Result<Option<i64>, Refusal> {
        let state = &self.inner.state;
        if caps.is_empty() || !state.shares_slots() {
            return Ok(None);
        }
        let slots: Vec<(String, u32)> = caps.iter().map(|c| (c.key.clone(), c.max)).collect();
        let hold = i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX / 4) + 60_000;
        match state
            .enter_slots(&slots, crate::state::now_ms() + hold, &self.inner.owner)
            .await
        {
            Ok(Ok(lease)) => Ok(Some(lease)),
            Ok(Err((key, max))) => Err(Refusal::Rate(
                crate::authz::CapHit { key, max }.to_string() + " across the fleet",
            )),
            Err(e) => Err(Refusal::Host(format!(
                "the fleet's in-flight counts cannot be read: {e}"
            ))),
        }
    }
}
