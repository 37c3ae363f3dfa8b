//! How a host starts, and why it could not.

use crate::audit::AuditError;
use crate::authz::AuthzError;
use crate::config::HostConfig;
use crate::sandbox::{LoadError, SandboxConfig};
use crate::state::StateError;
use crate::statedir::StateDirError;

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
    /// A file of the state directory.
    #[error("{0}")]
    Io(String),
    /// The rules in force.
    #[error(transparent)]
    Rules(#[from] crate::operator::rules::RulesError),
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
    /// How long a held call waits for a decision, instead of the rules'
    /// `[approvals] wait` (the demo's `--once` waits a second).
    pub approval_wait: Option<std::time::Duration>,
    /// Run under the rules the files make, not the release in force — for
    /// `warrant policy test` and `schema`, which try proposed policies and
    /// never serve or act. Nothing is applied or recorded as in force.
    pub candidate_rules: bool,
}

/// The sandbox configuration a host config asks for.
pub fn sandbox_config(config: &HostConfig) -> SandboxConfig {
    let d = SandboxConfig::default();
    SandboxConfig {
        cache_dir: Some(config.sandbox.cache_dir.clone()),
        fuel: config.sandbox.fuel,
        max_memory: config.sandbox.max_memory.unwrap_or(d.max_memory),
        max_instances: config.sandbox.max_instances.unwrap_or(d.max_instances),
        max_core_instances: config
            .sandbox
            .max_core_instances
            .unwrap_or(d.max_core_instances),
        extra_ca_files: config.egress_ca_files.clone(),
        ..d
    }
}
