//! The host: one mediated path for every call, whatever the channel (CLI,
//! MCP, HTTP, Rust). `api → authz → sandbox → audit`.

mod approval;
mod call;
mod stops;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use serde_json::json;

use crate::admin::{Admin, AdminError, open_state_with};
use crate::audit::CheckpointPolicy;
use crate::audit::{AuditLog, cap};
use crate::authz::{Authz, AuthzError, PolicyEntity, PolicyTool, Refusal, tool_matches};
use crate::config::HostConfig;
use crate::manifest::read_manifest;
use crate::registry::{LoadOptions, Registry};
use crate::sandbox::{CancelToken, LoadError, Sandbox};
use crate::state::StateDb;
use crate::tool::Impact;

pub use call::{CallError, CallRequest, CallResponse};

/// Why the host could not start.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The sandbox.
    #[error(transparent)]
    Sandbox(#[from] LoadError),
    /// State or audit chain.
    #[error(transparent)]
    Admin(#[from] AdminError),
    /// Agents, policies, token key.
    #[error(transparent)]
    Authz(#[from] AuthzError),
}

/// How the host starts.
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
}

/// A tool as an agent sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolView {
    /// `plugin.tool`.
    pub qualified: String,
    /// Plugin id.
    pub plugin: String,
    /// Tool name.
    pub name: String,
    /// Description.
    pub description: String,
    /// JSON Schema of the input (text).
    pub input_schema: String,
    /// Impact.
    pub impact: Impact,
}

/// A running host. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Host {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: HostConfig,
    sandbox: Sandbox,
    registry: Registry,
    authz: Authz,
    admin: Admin,
    stops: stops::StopCache,
    inflight: Mutex<HashMap<u64, stops::Inflight>>,
    next_call: AtomicU64,
    /// Random per host process, so call ids from different processes never
    /// collide: `call-<prefix>-<n>`.
    call_prefix: String,
    shutdown: CancelToken,
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
        let sandbox = Sandbox::new(config.sandbox.clone())?;
        let policy = CheckpointPolicy {
            fsync: !opts.unsafe_no_fsync,
            ..CheckpointPolicy::default()
        };
        let (state, audit) = open_state_with(&config, policy)?;
        let load = LoadOptions {
            insecure: opts.insecure,
            ..LoadOptions::default()
        };
        let registry = Registry::load(&config, &sandbox, &state, load).await;
        let (entities, tools, rates) = policy_view(&config, &registry);
        let authz = Authz::new(&config, &entities, &tools, &rates)?;
        let admin = Admin::with(config.clone(), Arc::clone(&state), Arc::clone(&audit))?;
        if opts.record_loads {
            for p in registry.plugins() {
                let m = p.manifest.manifest();
                let data = json!({"plugin": m.plugin.id, "plugin_version": m.plugin.version, "component_digest": p.manifest.digest_hex(), "signer": p.manifest.signer(), "tools": m.tools.iter().map(|t| &t.name).collect::<Vec<_>>(), "insecure": opts.insecure});
                let _ = audit.append("plugin.loaded", data, false).await;
            }
            for r in registry.refusals() {
                let _ = audit
                    .append(
                        "plugin.refused",
                        json!({"reason": cap(&r.to_string())}),
                        false,
                    )
                    .await;
            }
        }
        let host = Self {
            inner: Arc::new(Inner {
                stops: stops::StopCache::new(Arc::clone(&state)),
                config,
                sandbox,
                registry,
                authz,
                admin,
                inflight: Mutex::new(HashMap::new()),
                next_call: AtomicU64::new(1),
                call_prefix: crate::authz::new_token_id()[4..12].to_owned(),
                shutdown: CancelToken::new(),
            }),
        };
        stops::spawn_watcher(Arc::downgrade(&host.inner));
        Ok(host)
    }

    /// The config.
    pub fn config(&self) -> &HostConfig {
        &self.inner.config
    }

    /// The loaded plugins.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The sandbox.
    pub fn sandbox(&self) -> &Sandbox {
        &self.inner.sandbox
    }

    /// The authorization layer.
    pub fn authz(&self) -> &Authz {
        &self.inner.authz
    }

    /// Operator actions on this host's state.
    pub fn admin(&self) -> &Admin {
        &self.inner.admin
    }

    /// The audit chain.
    pub fn audit(&self) -> &Arc<AuditLog> {
        self.inner.admin.audit()
    }

    /// The state database.
    pub fn state(&self) -> &Arc<StateDb> {
        self.inner.admin.state()
    }

    /// Calls in flight now.
    pub fn inflight(&self) -> usize {
        self.inner.inflight.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// The tools a task token may call now: in the token's scope, in its
    /// agent's grant, offered by a loaded and enabled plugin.
    ///
    /// # Errors
    ///
    /// The [`Refusal`] when the token itself is not accepted, or the agent
    /// or the host is stopped.
    pub fn tools_for(&self, token: &str) -> Result<Vec<ToolView>, Refusal> {
        let inner = &self.inner;
        let stops = inner
            .stops
            .get()
            .map_err(|e| Refusal::Host(e.to_string()))?;
        let (t, agent) = inner
            .authz
            .check_token_cached(token, chrono::Utc::now(), &stops)?;
        if let Some(r) = stops::agent_stopped(&stops, &agent.id) {
            return Err(r);
        }
        let mut out = Vec::new();
        for p in inner.registry.plugins() {
            if stops.plugins.contains_key(p.id()) {
                continue;
            }
            for tool in &p.manifest.manifest().tools {
                let q = format!("{}.{}", p.id(), tool.name);
                if t.tools.iter().any(|pat| tool_matches(pat, &q))
                    && agent.tools.iter().any(|pat| tool_matches(pat, &q))
                {
                    out.push(ToolView {
                        qualified: q,
                        plugin: p.id().to_owned(),
                        name: tool.name.clone(),
                        description: tool.description.clone(),
                        input_schema: tool.input_schema.clone(),
                        impact: tool.impact,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Stop: cancel every call in flight with `reason`, refuse new ones,
    /// and flush the audit chain with a final checkpoint.
    pub async fn shutdown(&self, reason: &str) {
        self.inner.shutdown.cancel(reason);
        for f in self
            .inner
            .inflight
            .lock()
            .map(|m| m.values().map(|f| f.cancel.clone()).collect::<Vec<_>>())
            .unwrap_or_default()
        {
            f.cancel(reason);
        }
        for _ in 0..200 {
            if self.inflight() == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        self.audit().close();
    }
}

/// What policies can speak of: every plugin and tool the config declares —
/// from loaded plugins, and from the manifests of refused ones, so that one
/// refused plugin does not make its policies fail to type-check.
fn policy_view(
    config: &HostConfig,
    registry: &Registry,
) -> (Vec<PolicyEntity>, Vec<PolicyTool>, BTreeMap<String, String>) {
    let mut entities = Vec::new();
    let mut tools = Vec::new();
    let mut rates = BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut add = |m: &crate::manifest::Manifest, signer: &str| {
        if !seen.insert(m.plugin.id.clone()) {
            return;
        }
        entities.push(PolicyEntity {
            id: m.plugin.id.clone(),
            attrs: [
                ("publisher".to_string(), m.plugin.publisher.clone()),
                ("version".to_string(), m.plugin.version.clone()),
                ("signer".to_string(), signer.to_owned()),
            ]
            .into(),
        });
        for t in &m.tools {
            tools.push(PolicyTool {
                qualified: format!("{}.{}", m.plugin.id, t.name),
                input_schema: t.input_schema.clone(),
            });
        }
        if let Some(r) = &m.limits.rate {
            rates.insert(m.plugin.id.clone(), r.clone());
        }
    };
    for p in registry.plugins() {
        add(p.manifest.manifest(), p.manifest.signer().unwrap_or(""));
    }
    for entry in &config.file.plugins {
        if let Ok(m) = read_manifest(&config.resolve(&entry.manifest)) {
            add(&m, "");
        }
    }
    (entities, tools, rates)
}
