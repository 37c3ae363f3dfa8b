//! The stop state as the serving process sees it, and the watcher that
//! cancels in-flight calls when an operator halts the host, quarantines an
//! agent or disables a plugin — from this process or another.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use crate::authz::Refusal;
use crate::host::Inner;
use crate::sandbox::CancelToken;
use crate::state::{StateDb, StateError, StopState};

/// How often the watcher looks for changes.
pub(crate) const WATCH_EVERY: Duration = Duration::from_millis(20);

/// One call in flight.
#[derive(Debug)]
pub(crate) struct Inflight {
    pub(crate) agent: String,
    pub(crate) plugin: String,
    pub(crate) cancel: CancelToken,
}

/// What `StateDb::data_version` returns.
type DataVersion = (i64, u64);

/// The stop state, reloaded when the database changes.
#[derive(Debug)]
pub(crate) struct StopCache {
    state: Arc<StateDb>,
    cached: Mutex<Option<(DataVersion, Arc<StopState>)>>,
}

impl StopCache {
    pub(crate) fn new(state: Arc<StateDb>) -> Self {
        Self {
            state,
            cached: Mutex::new(None),
        }
    }

    /// The current stop state.
    pub(crate) fn get(&self) -> Result<Arc<StopState>, StateError> {
        let version = self.state.data_version()?;
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((v, s)) = cached.as_ref()
            && *v == version
        {
            return Ok(Arc::clone(s));
        }
        let fresh = Arc::new(self.state.stop_state()?);
        *cached = Some((version, Arc::clone(&fresh)));
        Ok(fresh)
    }
}

/// Why a call in flight must stop now, if it must.
pub(crate) fn stop_reason(s: &StopState, agent: &str, plugin: &str) -> Option<String> {
    if let Some(h) = &s.halted {
        return Some(format!("the host was halted by {} ({})", h.by, h.reason));
    }
    if let Some(q) = s.agents.get(agent) {
        return Some(format!(
            "agent {agent} was quarantined by {} ({})",
            q.by, q.reason
        ));
    }
    if let Some(d) = s.plugins.get(plugin) {
        return Some(format!(
            "plugin {plugin} was disabled by {} ({})",
            d.by, d.reason
        ));
    }
    None
}

/// The refusal for an agent when the host is halted or the agent is
/// quarantined.
pub(crate) fn agent_stopped(s: &StopState, agent: &str) -> Option<Refusal> {
    if let Some(h) = &s.halted {
        return Some(Refusal::Halted {
            by: h.by.clone(),
            reason: h.reason.clone(),
        });
    }
    s.agents.get(agent).map(|q| Refusal::Quarantined {
        agent: agent.to_owned(),
        by: q.by.clone(),
        reason: q.reason.clone(),
    })
}

/// Watch the stop state and cancel affected calls; ends with the host.
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
            let Ok(stops) = inner.stops.get() else {
                continue;
            };
            let Ok(map) = inner.inflight.lock() else {
                continue;
            };
            for call in map.values() {
                if call.cancel.is_cancelled() {
                    continue;
                }
                if let Some(why) = stop_reason(&stops, &call.agent, &call.plugin) {
                    call.cancel.cancel(why);
                }
            }
        }
    });
}
