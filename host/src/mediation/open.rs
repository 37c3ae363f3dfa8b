//! Starting a host: state directory, shared state, sandbox, audit chain,
//! plugins, authorization — and the watcher.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};

use crate::audit::event::{Event, PluginLoaded, PluginRefused};
use crate::audit::{AuditError, AuditKeys, AuditLog, AuditOptions};
use crate::authz::{Authz, AuthzError};
use crate::config::HostConfig;
use crate::mediation::{Host, Inner, Loaded, inflight, watch};
use crate::operator::OperatorActions;
use crate::registry::{LoadOptions, Refused, Registry};
use crate::sandbox::{LoadError, Sandbox, SandboxConfig};
use crate::state::{SharedState, SqliteState, StateError};
use crate::statedir::{StateDir, StateDirError};
use crate::vocab::{CancelToken, random_id};

/// Why the host could not start.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The sandbox.
    #[error(transparent)]
    Sandbox(#[from] LoadError),
    /// The state directory or its keys.
    #[error(transparent)]
    StateDir(#[from] StateDirError),
    /// The shared state.
    #[error(transparent)]
    State(#[from] StateError),
    /// The audit chain.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// Agents, policies, token key.
    #[error(transparent)]
    Authz(#[from] AuthzError),
}

/// How the host starts. The default: signed manifests only, loads not
/// recorded, fsync on, no watching of files.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostOptions {
    /// Accept unsigned manifests: development only.
    pub insecure: bool,
    /// Record each plugin loaded or refused in the audit chain (a server
    /// does; a one-shot CLI call does not).
    pub record_loads: bool,
    /// BENCHMARKS ONLY: acknowledge audit records without waiting for the
    /// disk, to measure the mediation's own cost. Never on a real host.
    pub unsafe_no_fsync: bool,
    /// Reload when the config file or a policy file changes (a server
    /// does). A reload an operator asks for (`warrant reload`) is applied
    /// either way.
    pub watch_files: bool,
}

/// The sandbox configuration a host config asks for.
pub fn sandbox_config(config: &HostConfig) -> SandboxConfig {
    let d = SandboxConfig::default();
    SandboxConfig {
        cache_dir: Some(config.sandbox.cache_dir.clone()),
        fuel: config.sandbox.fuel,
        max_memory: config.sandbox.max_memory.unwrap_or(d.max_memory),
        max_instances: config.sandbox.max_instances.unwrap_or(d.max_instances),
        extra_ca_files: config.egress_ca_files.clone(),
        ..d
    }
}

impl Host {
    /// Start a host: sandbox, state, audit chain, plugins, agents, policies.
    /// Refused plugins are reported (and recorded with `record_loads`);
    /// the host serves the others.
    ///
    /// # Errors
    ///
    /// [`HostError`] when the host cannot run at all (a policy that does not
    /// parse or type-check, an unusable state directory, ...).
    pub async fn open(config: HostConfig, opts: HostOptions) -> Result<Self, HostError> {
        let config = Arc::new(config);
        let state_dir = StateDir::create(&config.state_dir)?;
        let state: Arc<dyn SharedState> = Arc::new(SqliteState::open(&state_dir.db_path())?);
        let sandbox = Sandbox::new(sandbox_config(&config))?;
        let keys = AuditKeys::load_or_create(&state_dir)?;
        let audit = Arc::new(AuditLog::open(
            &config.audit.dir,
            keys.clone(),
            AuditOptions {
                fsync: !opts.unsafe_no_fsync,
                reserve: config.audit.reserve,
                witness: config.audit.witness.clone(),
                host_id: Some(keys.host_id()),
                ..AuditOptions::default()
            },
        )?);
        let loaded = build(&config, &sandbox, &state_dir, &state, &audit, opts).await?;
        if opts.record_loads {
            record_loads(&audit, &loaded.registry, opts.insecure).await;
        }
        let (reloaded, _) = state.reload_request().await?;
        let host = Self {
            inner: Arc::new(Inner {
                loaded: RwLock::new(Arc::new(loaded)),
                stops: watch::StopCache::new(Arc::clone(&state)),
                sandbox,
                state_dir,
                state,
                audit,
                opts,
                inflight: inflight::Inflight::default(),
                next_call: AtomicU64::new(1),
                call_prefix: random_id("c", 4)[2..].to_owned(),
                shutdown: CancelToken::new(),
                reloaded: AtomicU64::new(reloaded),
                reloading: tokio::sync::Mutex::new(()),
                file_stamp: std::sync::Mutex::new(None),
            }),
        };
        watch::spawn_watcher(Arc::downgrade(&host.inner));
        Ok(host)
    }
}

/// Load the plugins of `config` and build authorization over them.
pub(crate) async fn build(
    config: &Arc<HostConfig>,
    sandbox: &Sandbox,
    state_dir: &StateDir,
    state: &Arc<dyn SharedState>,
    audit: &Arc<AuditLog>,
    opts: HostOptions,
) -> Result<Loaded, HostError> {
    let load = LoadOptions {
        insecure: opts.insecure,
        ..LoadOptions::default()
    };
    let registry = Registry::load(config, sandbox, state.as_ref(), load).await;
    let authz = Authz::new(
        Arc::clone(config),
        state_dir,
        Arc::clone(state),
        &registry.policy_view(),
    )?;
    let operator = OperatorActions::with(
        Arc::clone(config),
        state_dir,
        Arc::clone(state),
        Arc::clone(audit),
    )?;
    Ok(Loaded {
        config: Arc::clone(config),
        registry,
        authz,
        operator,
    })
}

/// Record every plugin loaded or refused.
pub(crate) async fn record_loads(audit: &AuditLog, registry: &Registry, insecure: bool) {
    for p in registry.plugins() {
        let m = p.manifest.manifest();
        let event = Event::PluginLoaded(Box::new(PluginLoaded {
            plugin: m.plugin.id.clone(),
            plugin_version: m.plugin.version.clone(),
            component_digest: p.manifest.component_digest(),
            manifest_digest: p.manifest.manifest_digest().to_owned(),
            signer: p.manifest.signer().map(str::to_owned),
            tools: m.tools.iter().map(|t| t.name.clone()).collect(),
            insecure,
        }));
        let _ = audit.append(&event, false).await;
    }
    for r in registry.refusals() {
        let _ = audit.append(&refusal_event(r), false).await;
    }
}

/// The `plugin.refused` record of a refusal: everything known of it.
pub(crate) fn refusal_event(r: &Refused) -> Event {
    let m = r.manifest.as_ref().map(|m| &m.0);
    Event::PluginRefused(Box::new(PluginRefused {
        manifest: Some(r.manifest_path.display().to_string()),
        plugin: m.map(|m| m.plugin.id.clone()),
        plugin_version: m.map(|m| m.plugin.version.clone()),
        component_digest: r.component_digest.clone(),
        manifest_digest: m.map(crate::manifest::manifest_digest),
        signer: r.signer.clone(),
        check: r.error.check().to_owned(),
        reason: crate::vocab::cap(&r.error.to_string()),
    }))
}
