//! The calls in flight: what each one runs under (agent, plugin, token) and
//! how to stop it. An entry is removed when its guard is dropped, however
//! the call ends — even if the call's future is dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::authz::{Stoppable, stopped};
use crate::state::StopState;
use crate::vocab::CancelToken;

/// One call in flight.
#[derive(Debug, Clone)]
pub(crate) struct Running {
    pub(crate) agent: String,
    pub(crate) plugin: String,
    pub(crate) component_digest: String,
    pub(crate) token_id: String,
    pub(crate) cancel: CancelToken,
}

/// The calls in flight in this process.
#[derive(Debug, Default, Clone)]
pub(crate) struct Inflight {
    map: Arc<Mutex<HashMap<u64, Running>>>,
}

/// Removes a call's entry when dropped.
#[derive(Debug)]
pub(crate) struct Entry {
    map: Arc<Mutex<HashMap<u64, Running>>>,
    id: u64,
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

impl Inflight {
    /// Register call `id`; it stays until the entry is dropped.
    pub(crate) fn enter(&self, id: u64, running: Running) -> Entry {
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, running);
        Entry {
            map: Arc::clone(&self.map),
            id,
        }
    }

    /// How many calls are in flight.
    pub(crate) fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Cancel every call for which `why` says it must stop; returns how
    /// many were cancelled now.
    pub(crate) fn cancel_where(&self, why: impl Fn(&Running) -> Option<String>) -> u64 {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let mut n = 0;
        for call in map.values() {
            if call.cancel.is_cancelled() {
                continue;
            }
            if let Some(reason) = why(call) {
                call.cancel.cancel(reason);
                n += 1;
            }
        }
        n
    }

    /// Cancel every call.
    pub(crate) fn cancel_all(&self, reason: &str) {
        self.cancel_where(|_| Some(reason.to_owned()));
    }
}

/// Why a call in flight must stop now under the stop state `s`, if it must:
/// the refusal the stop buttons give it ([`stopped`]).
pub(crate) fn stop_reason(s: &StopState, call: &Running) -> Option<String> {
    let on = Stoppable {
        token: Some(&call.token_id),
        agent: Some(&call.agent),
        plugin: Some(&call.plugin),
    };
    stopped(s, on).map(|r| r.to_string())
}
