//! The stop state as this process sees it, and the watcher that applies
//! changes — from this process or another — to the calls in flight: halt,
//! quarantine, disable and revoke cancel them; a reload request reloads.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

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
    /// How long the last stop state read may stand in while the shared
    /// state cannot be read (zero: fail closed at once).
    degraded_for: Duration,
    /// Since when, and why, it cannot be read.
    degraded: Mutex<Option<(Instant, String)>>,
    /// Whether `degraded` is set: calls check this, not the lock.
    is_degraded: AtomicBool,
    /// The shared state's change marker as the watcher last read it.
    seen: AtomicU64,
    /// The stop state and the (marker, local changes) it was read at.
    cached: RwLock<Option<(Generation, Arc<StopState>)>>,
}

impl StopCache {
    pub(crate) fn new(state: Arc<dyn SharedState>, degraded_for: Duration) -> Self {
        Self {
            state,
            degraded_for,
            degraded: Mutex::new(None),
            is_degraded: AtomicBool::new(false),
            seen: AtomicU64::new(0),
            cached: RwLock::new(None),
        }
    }

    /// The current stop state: two atomic loads and a shared lock when
    /// nothing changed. While the shared state cannot be read, the last one
    /// read, for at most `degraded_for` (then an error: fail closed).
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
            && !self.is_degraded.load(Ordering::Acquire)
        {
            return Ok(Arc::clone(s));
        }
        let cached = self
            .cached
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let degraded = self
            .is_degraded
            .load(Ordering::Acquire)
            .then(|| {
                self.degraded
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone()
            })
            .flatten();
        if degraded.is_some() {
            return self.get_degraded(cached.map(|(_, s)| s));
        }
        // Read at `key` or later: a change in between only makes the next
        // call read again.
        match self.state.stop_state().await {
            Ok(fresh) => {
                let fresh = Arc::new(fresh);
                *self.cached.write().unwrap_or_else(|p| p.into_inner()) =
                    Some((key, Arc::clone(&fresh)));
                Ok(fresh)
            }
            Err(e) => match cached {
                Some((_, s)) if !self.degraded_for.is_zero() => {
                    match self.state.silence() {
                        Some(quiet) => self.enter_silent(quiet),
                        None => self.enter_degraded(&e),
                    }
                    self.get_degraded(Some(s))
                }
                _ => Err(e),
            },
        }
    }

    /// The cached stop state while degraded, within `degraded_for` of the
    /// shared state's last sign of life; else fail closed.
    fn get_degraded(&self, cached: Option<Arc<StopState>>) -> Result<Arc<StopState>, StateError> {
        let degraded = self
            .degraded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match (degraded, cached) {
            (Some((since, _)), Some(s)) if since.elapsed() <= self.degraded_for => Ok(s),
            (degraded, _) => {
                let (since, why) = degraded.unwrap_or_else(|| (Instant::now(), String::new()));
                Err(StateError::Db {
                    path: "shared state".into(),
                    why: format!(
                        "unreachable for {} s, longer than [state] degraded-for ({} s): failing closed ({why})",
                        since.elapsed().as_secs(),
                        self.degraded_for.as_secs()
                    ),
                })
            }
        }
    }

    fn enter_degraded(&self, e: &StateError) {
        self.enter(Instant::now(), e.to_string());
    }

    /// The shared state has been silent for `quiet`: its connections open,
    /// but no heartbeat answered. It is as unreachable as a closed
    /// connection, since its last sign of life.
    pub(crate) fn enter_silent(&self, quiet: Duration) {
        let since = Instant::now()
            .checked_sub(quiet)
            .unwrap_or_else(Instant::now);
        self.enter(
            since,
            format!(
                "no heartbeat from the shared state for {} s: its connection is open but silent (partitioned, or a proxy hangs)",
                quiet.as_secs()
            ),
        );
    }

    fn enter(&self, since: Instant, why: String) {
        let mut d = self.degraded.lock().unwrap_or_else(|p| p.into_inner());
        if d.is_none() {
            tracing::error!(
                "the shared state is unreachable ({why}); going on for at most {} s since it was last heard from, on the stop state last read, high-impact calls refused",
                self.degraded_for.as_secs()
            );
            *d = Some((since, why));
            self.is_degraded.store(true, Ordering::Release);
        }
    }

    /// Why calls are decided on a stale stop state now, if they are.
    pub(crate) fn degraded(&self) -> Option<String> {
        if !self.is_degraded.load(Ordering::Acquire) {
            return None;
        }
        let d = self.degraded.lock().unwrap_or_else(|p| p.into_inner());
        d.as_ref().map(|(since, why)| {
            format!(
                "the shared state has been unreachable for {} s ({why}); decided on the stop state last read",
                since.elapsed().as_secs()
            )
        })
    }

    /// While degraded: try to read the shared state again; on success the
    /// stop state is fresh and calls are no longer degraded.
    pub(crate) async fn try_recover(&self) {
        if self
            .degraded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
        {
            return;
        }
        // Still silent: nothing read now could be trusted to stay current.
        if self.state.silence().is_some() {
            return;
        }
        let key = (
            self.seen.load(Ordering::Acquire),
            self.state.local_changes(),
        );
        if let Ok(fresh) = self.state.stop_state().await {
            *self.cached.write().unwrap_or_else(|p| p.into_inner()) = Some((key, Arc::new(fresh)));
            *self.degraded.lock().unwrap_or_else(|p| p.into_inner()) = None;
            self.is_degraded.store(false, Ordering::Release);
            tracing::warn!("the shared state is reachable again; the stop state is current");
        }
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
        let mut recover_turn = 0u64;
        loop {
            interval.tick().await;
            let Some(inner) = host.upgrade() else { return };
            if inner.shutdown.is_cancelled() {
                return;
            }
            // Connections open but silent: as unreachable as closed ones.
            if let Some(quiet) = inner.state.silence() {
                inner.stops.enter_silent(quiet);
            }
            if inner.stops.poll().await.is_err() {
                continue;
            }
            // Degraded: look again about once a second.
            if inner.stops.degraded().is_some() {
                recover_turn += 1;
                if recover_turn.is_multiple_of(50) {
                    inner.stops.try_recover().await;
                }
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
