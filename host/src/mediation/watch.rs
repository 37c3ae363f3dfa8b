//! The stop state as this process sees it, and the watcher that applies
//! changes — from this process or another — to the calls in flight: halt,
//! quarantine, disable and revoke cancel them; a reload request reloads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use crate::mediation::Inner;
use crate::mediation::inflight::stop_reason;
use crate::state::{SharedState, StateError, StopState};

/// How often the watcher looks for changes.
pub(crate) const WATCH_EVERY: Duration = Duration::from_millis(20);

/// (the shared state's change marker, this process's local changes).
type Generation = (u64, u64);

/// The stop state, kept in memory. A call reads it without a query: it
/// is reloaded when this process presses a stop button (an in-memory
/// counter says so) or when the watcher sees that another process changed
/// the shared state (every [`WATCH_EVERY`]).
#[derive(Debug)]
pub(crate) struct StopCache {
    state: Arc<dyn SharedState>,
    /// The shared state's change marker as the watcher last read it.
    seen: AtomicU64,
    /// The stop state and the (marker, local changes) it was read at.
    cached: RwLock<Option<(Generation, Arc<StopState>)>>,
}

impl StopCache {
    pub(crate) fn new(state: Arc<dyn SharedState>) -> Self {
        Self {
            state,
            seen: AtomicU64::new(0),
            cached: RwLock::new(None),
        }
    }

    /// The current stop state: two atomic loads and a shared lock when
    /// nothing changed.
    pub(crate) async fn get(&self) -> Result<Arc<StopState>, StateError> {
        let key = (
            self.seen.load(Ordering::Acquire),
            self.state.local_changes(),
        );
        if let Some((k, s)) = self
            .cached
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            && *k == key
        {
            return Ok(Arc::clone(s));
        }
        // Read at `key` or later: a change in between only makes the next
        // call read again.
        let fresh = Arc::new(self.state.stop_state().await?);
        *self.cached.write().unwrap_or_else(|p| p.into_inner()) = Some((key, Arc::clone(&fresh)));
        Ok(fresh)
    }

    /// Ask the shared state whether anything changed (the watcher's query);
    /// the next [`StopCache::get`] reloads if so.
    pub(crate) async fn poll(&self) -> Result<(), StateError> {
        let marker = self.state.change_marker().await?;
        self.seen.store(marker, Ordering::Release);
        Ok(())
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
            if inner.stops.poll().await.is_err() {
                continue;
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
