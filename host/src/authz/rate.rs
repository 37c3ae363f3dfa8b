//! Concurrency caps, per agent and per tool: counted in the serving
//! process, and — on a fleet's shared state — also across every host, by
//! leases in the shared state.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::state::SharedState;

/// In-flight counters of this process (concurrency caps). Rate windows
/// live in the shared state, so that they hold across processes.
#[derive(Debug, Default)]
pub struct Limiter {
    inflight: Arc<Mutex<HashMap<String, u32>>>,
}

/// One concurrency cap to apply to a call.
#[derive(Debug, Clone)]
pub struct ConcurrencyRule {
    /// Counter key.
    pub key: String,
    /// Calls in flight allowed.
    pub max: u32,
}

/// A concurrency cap that was full.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} may have at most {max} calls in flight", key.replacen(':', " ", 1))]
pub struct CapHit {
    /// The counter key.
    pub key: String,
    /// The cap.
    pub max: u32,
}

/// Releases the in-flight slots of a call when dropped.
#[derive(Debug)]
pub struct InflightGuard {
    keys: Vec<String>,
    inflight: Arc<Mutex<HashMap<String, u32>>>,
    /// The fleet-wide lease, when the shared state counts the slots.
    shared: Option<(Arc<dyn SharedState>, i64)>,
}

impl InflightGuard {
    /// Also hold the fleet-wide lease `lease` (given back when dropped).
    #[must_use]
    pub fn with_lease(mut self, state: Arc<dyn SharedState>, lease: i64) -> Self {
        self.shared = Some((state, lease));
        self
    }
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        if let Some((state, lease)) = self.shared.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            // A lease not given back expires by itself.
            rt.spawn(async move {
                if let Err(e) = state.leave_slots(lease).await {
                    tracing::warn!("fleet in-flight slots not given back (they expire): {e}");
                }
            });
        }
        let mut map = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        for k in &self.keys {
            if let Some(n) = map.get_mut(k) {
                *n = n.saturating_sub(1);
            }
        }
    }
}

impl Limiter {
    /// Take an in-flight slot under every cap, or refuse naming the first.
    ///
    /// # Errors
    ///
    /// The cap that was hit.
    pub fn enter(&self, rules: &[ConcurrencyRule]) -> Result<InflightGuard, CapHit> {
        let mut map = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        for r in rules {
            if map.get(&r.key).copied().unwrap_or(0) >= r.max {
                return Err(CapHit {
                    key: r.key.clone(),
                    max: r.max,
                });
            }
        }
        for r in rules {
            *map.entry(r.key.clone()).or_default() += 1;
        }
        Ok(InflightGuard {
            keys: rules.iter().map(|r| r.key.clone()).collect(),
            inflight: Arc::clone(&self.inflight),
            shared: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflight_is_released() {
        let l = Limiter::default();
        let rule = [ConcurrencyRule {
            key: "tool:x.y".into(),
            max: 1,
        }];
        let g = l.enter(&rule).unwrap();
        assert!(l.enter(&rule).is_err());
        drop(g);
        assert!(l.enter(&rule).is_ok());
    }
}
