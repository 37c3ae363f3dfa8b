//! The stop state as this process sees it, and the watcher that applies
//! changes — from this process or another — to the calls in flight: halt,
//! quarantine, disable and revoke cancel them; a reload request reloads.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use crate::mediation::Inner;
use crate::mediation::inflight::stop_reason;
use crate::state::{SharedState, StateError, StopState};

/// How often the watcher looks for changes.
pub(crate) const WATCH_EVERY: Duration = Duration::from_millis(20);

/// The stop state, reloaded when the shared state changes.
#[derive(Debug)]
pub(crate) struct StopCache {
    state: Arc<dyn SharedState>,
    cached: Mutex<Option<(u64, Arc<StopState>)>>,
}

impl StopCache {
    pub(crate) fn new(state: Arc<dyn SharedState>) -> Self {
        Self {
            state,
            cached: Mutex::new(None),
        }
    }

    /// The current stop state.
    pub(crate) async fn get(&self) -> Result<Arc<StopState>, StateError> {
        let marker = self.state.change_marker().await?;
        if let Some((m, s)) = self
            .cached
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            && *m == marker
        {
            return Ok(Arc::clone(s));
        }
        let fresh = Arc::new(self.state.stop_state().await?);
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some((marker, Arc::clone(&fresh)));
        Ok(fresh)
    }
}

/// Watch the shared state; ends with the host.
pub(crate) fn spawn_watcher(host: Weak<Inner>) {
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        return;
    };
    rt.spawn(async move {
        let mut interval = tokio::time::interval(WATCH_EVERY);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let Some(inner) = host.upgrade() else { return };
            if inner.shutdown.is_cancelled() {
                return;
            }
            let Ok(stops) = inner.stops.get().await else {
                continue;
            };
            inner
                .inflight
                .cancel_where(|call| stop_reason(&stops, call));
            crate::mediation::reload::poll(&inner).await;
        }
    });
}
