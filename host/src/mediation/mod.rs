//! The mediated call path: one [`Host`] for every channel (CLI, MCP, HTTP,
//! Rust). `api → authz → sandbox → audit`.
//!
//! * [`call`]: the path of one call — authorize, approval gate, sandbox,
//!   the two audit records;
//! * `approval`: the gate; `inflight` and `watch`: the calls in flight and
//!   the stop watcher that cancels them; `reload`: reloading config and
//!   trust without a restart.

mod approval;
mod call;
mod context;
mod drain;
mod exchange;
mod fleet;
mod inflight;
mod intents;
mod listing;
mod loading;
mod notify;
mod observe;
mod open;
mod options;
mod output;
mod recovery;
mod reload;
mod request;
mod watch;

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};

use crate::audit::AuditLog;
use crate::authz::Authz;
use crate::config::HostConfig;
use crate::operator::OperatorActions;
use crate::registry::Registry;
use crate::sandbox::Sandbox;
use crate::state::SharedState;
use crate::statedir::StateDir;
use crate::vocab::CancelToken;

pub use crate::authz::CallInput;
pub use context::MAX_PROMPT;
pub use drain::NotReady;
pub use intents::pending as pending_calls;
pub use listing::ToolView;
pub use options::{HostError, HostOptions, sandbox_config};
pub use reload::ReloadReport;
pub use request::{CallError, CallProgress, CallRequest, CallResponse, correlation_id};

/// What a host is running with: its config, the plugins loaded under it,
/// and the authorization built from both. Replaced as a whole on reload;
/// a call keeps the one it started with.
#[derive(Debug)]
pub struct Loaded {
    /// The config.
    pub config: Arc<HostConfig>,
    /// The loaded plugins.
    pub registry: Registry,
    /// Authorization.
    pub authz: Authz,
    /// Operator actions under this config.
    pub operator: OperatorActions,
    /// When the first loaded plugin stops verifying by itself — its
    /// signing key's `not-after`, or its manifest's own expiry: the host
    /// reloads then.
    pub expires: Option<chrono::DateTime<chrono::Utc>>,
    /// The release of the rules it runs under (every decision names it).
    pub release: crate::governance::ReleaseRef,
}

/// A running host. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Host {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    loaded: RwLock<Arc<Loaded>>,
    sandbox: Sandbox,
    state_dir: StateDir,
    state: Arc<dyn SharedState>,
    audit: Arc<AuditLog>,
    opts: HostOptions,
    stops: watch::StopCache,
    inflight: inflight::Inflight,
    next_call: AtomicU64,
    /// Calls the shadow policies would have decided otherwise.
    shadow_differences: AtomicU64,
    /// This host's metrics.
    meters: Arc<crate::telemetry::Meters>,
    /// Random per host process, so call ids from different processes never
    /// collide: `call-<prefix>-<n>`.
    call_prefix: String,
    /// Who holds this process's fleet slots: `host-id/prefix`.
    owner: String,
    /// This process's claim to be alive (see `recovery`).
    alive: std::sync::Mutex<Option<recovery::Alive>>,
    /// This process's journal of calls about to run (see `intents`).
    intents: intents::Journal,
    shutdown: CancelToken,
    /// Stopping: not ready for new requests (see `drain`).
    draining: std::sync::atomic::AtomicBool,
    /// The reload generation this host has applied.
    reloaded: AtomicU64,
    /// One reload at a time.
    reloading: tokio::sync::Mutex<()>,
    /// The expiry a reload was last made for.
    expiry_reloaded: std::sync::Mutex<Option<chrono::DateTime<chrono::Utc>>>,
    /// When the watched files last changed, as last seen.
    file_stamp: std::sync::Mutex<Option<Vec<Option<std::time::SystemTime>>>>,
    /// On a fleet's shared state: what this host publishes of itself.
    fleet: Option<fleet::Publisher>,
    /// The candidate release this host refused last (recorded once).
    refused_release: std::sync::Mutex<Option<String>>,
}

/// A view of the registry a host runs with now.
#[derive(Debug, Clone)]
pub struct RegistryView(Arc<Loaded>);

impl std::ops::Deref for RegistryView {
    type Target = Registry;

    fn deref(&self) -> &Registry {
        &self.0.registry
    }
}

impl Host {
    /// What the host runs with now.
    pub fn loaded(&self) -> Arc<Loaded> {
        Arc::clone(&self.inner.loaded.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The config it runs with now.
    pub fn config(&self) -> Arc<HostConfig> {
        Arc::clone(&self.loaded().config)
    }

    /// The loaded plugins now.
    pub fn registry(&self) -> RegistryView {
        RegistryView(self.loaded())
    }

    /// The sandbox.
    pub fn sandbox(&self) -> &Sandbox {
        &self.inner.sandbox
    }

    /// Operator actions on this host's state, under its config now.
    pub fn operator(&self) -> OperatorActions {
        self.loaded().operator.clone()
    }

    /// The audit chain.
    pub fn audit(&self) -> &Arc<AuditLog> {
        &self.inner.audit
    }

    /// The stop state as the next call sees it: from memory, reloaded only
    /// after a change (this process's, or another's seen by the watcher).
    ///
    /// # Errors
    ///
    /// When it has to be reloaded and the shared state fails.
    pub async fn stops(&self) -> Result<Arc<crate::state::StopState>, crate::state::StateError> {
        self.inner.stops.get().await
    }

    /// [`Host::stops`] for a call path: a state that cannot be read is the
    /// host's refusal.
    pub(crate) async fn stops_for_call(
        &self,
    ) -> Result<Arc<crate::state::StopState>, crate::authz::Refusal> {
        self.stops()
            .await
            .map_err(|e| crate::authz::Refusal::Host(e.to_string()))
    }

    /// The shared state.
    pub fn state(&self) -> &Arc<dyn SharedState> {
        &self.inner.state
    }

    /// The state directory.
    pub fn state_dir(&self) -> &StateDir {
        &self.inner.state_dir
    }

    /// Calls the shadow policies (`[policy] shadow`) would have decided
    /// otherwise, since this host started.
    pub fn shadow_differences(&self) -> u64 {
        self.inner
            .shadow_differences
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// This host's metrics (`/metrics`, and OTLP when telemetry is on).
    pub fn meters(&self) -> &Arc<crate::telemetry::Meters> {
        &self.inner.meters
    }

    /// Calls in flight now.
    pub fn inflight(&self) -> usize {
        self.inner.inflight.len()
    }

    /// Stop: cancel every call in flight with `reason`, refuse new ones,
    /// and flush the audit chain with a final checkpoint.
    pub async fn shutdown(&self, reason: &str) {
        self.inner.shutdown.cancel(reason);
        self.inner.inflight.cancel_all(reason);
        for _ in 0..200 {
            if self.inflight() == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        self.audit().close();
        self.audit()
            .finish_witnesses(std::time::Duration::from_secs(5))
            .await;
        // A clean stop: no next process needs to recover this one.
        drop(
            self.inner
                .alive
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take(),
        );
        // Outcomes written after their answers are written before it stops.
        if !crate::authz::deferred_written(std::time::Duration::from_secs(5)).await {
            tracing::warn!("some calls' outcomes were not written before the host stopped");
        }
        // What this host took ahead of rate windows and budgets and did not
        // use goes back to the others.
        if let Err(e) = self.state().give_back_leases().await {
            tracing::warn!("unused slices of rate windows and budgets not given back: {e}");
        }
        // The last metrics go out (blocking: off the async threads).
        let meters = Arc::clone(&self.inner.meters);
        let _ = tokio::task::spawn_blocking(move || meters.shutdown()).await;
        // The chain is complete now: publish its end, and leave the fleet.
        if let Some(p) = &self.inner.fleet {
            p.step(&self.inner).await;
            p.leave(&self.inner).await;
        }
    }
}
