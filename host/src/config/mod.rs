//! The operator's host configuration, `warrant.toml`: trusted keys,
//! plugins, agents, approvers, operators, policies, ceilings. It is read
//! and checked once; [`HostConfig`] holds the typed values the rest of the
//! host uses. Relative paths are relative to the config file.

mod agents;
mod budgets;
mod ceilings;
mod console;
mod governance;
mod host;
mod issuers;
mod model;
mod operators;
mod plugins;
mod provision;
mod sandbox;
pub mod schema;
mod sources;
mod state;
mod telemetry;
mod trust;
mod webhooks;
mod witnesses;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::vocab::Impact;

pub use crate::capability::files::normal;
pub use crate::capability::http::HttpCeiling;
pub use agents::{Agent, valid_id};
pub use budgets::{Budget, BudgetEntry, BudgetPer};
pub use ceilings::Ceilings;
pub use console::{Console, ConsoleOidc, ConsoleOidcEntry, ConsoleSection};
pub use governance::{
    Governance, GovernanceMode, GovernanceSection, Governor, GovernorEntry, parse_governance,
};
pub use host::{HostConfig, RuleFile};
pub use issuers::{ALGORITHMS, Issuer, IssuerEntry, JwksSource, WorkloadEntry};
pub use model::{
    AgentEntry, ApiSection, ApprovalsSection, AuditSection, CeilingsSection, ConfigFile,
    EgressSection, HostSection, KeyEntry, OidcEntry, OperatorEntry, OperatorKeyEntry,
    PolicySection, RatesSection, TrustSection,
};
pub use operators::{OidcIdentity, Operator, OperatorKey, Role};
pub use plugins::{LimitOverrides, PluginEntry, SecretSource};
pub use provision::{
    create_state_dir_governor_keys, create_state_dir_operator_keys, create_state_dir_publisher_keys,
};
pub use sandbox::{SandboxSection, SandboxSettings};
pub use sources::RuleFiles;
pub use state::{PostgresSettings, StateSection, StateSettings};
pub use telemetry::{OtlpProtocol, Telemetry, TelemetrySection, telemetry as telemetry_settings};
pub(crate) use trust::secret_digest;
pub use webhooks::{Webhook, WebhookEntry, WebhookFormat};
pub use witnesses::{Witness, WitnessEntry};

/// Why the configuration could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {why}")]
    Read {
        /// The config path.
        path: PathBuf,
        /// The I/O error.
        why: String,
    },
    /// Not valid TOML, or an unknown field; the message names the line.
    #[error("config {path}: {message}")]
    Syntax {
        /// The config path.
        path: PathBuf,
        /// What is wrong, with the line.
        message: String,
    },
    /// A value that cannot be used.
    #[error("config {path}: `{field}`: {why}")]
    Invalid {
        /// The config path.
        path: PathBuf,
        /// The field.
        field: String,
        /// What is wrong.
        why: String,
    },
}

/// The publisher keys a config's rules trust, read from `files`: what a
/// verifier needs to check a manifest's signature under the rules of its
/// time, offline (an HMAC key's secret is never archived, so only public
/// keys can be checked this way).
///
/// # Errors
///
/// [`ConfigError`] naming the field at fault.
pub fn trust_of(
    file: &ConfigFile,
    path: &Path,
    files: &RuleFiles,
) -> Result<crate::keys::TrustStore, ConfigError> {
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let at = sources::Place { dir: &dir, files };
    trust::trust_store(&file.trust, &at).map_err(|(field, why)| ConfigError::Invalid {
        path: path.to_owned(),
        field,
        why,
    })
}

/// The operators and agents a config's rules name, checked — with their
/// files read from `files` — without the rest of the config (no secrets
/// read): what a verifier needs to check a signature against the rules of
/// its time, offline.
///
/// # Errors
///
/// [`ConfigError`] naming the field at fault.
pub fn operators_and_agents(
    file: &ConfigFile,
    path: &Path,
    files: &RuleFiles,
) -> Result<(Vec<Operator>, Vec<Agent>), ConfigError> {
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let at = sources::Place { dir: &dir, files };
    let invalid = |field: String, why: String| ConfigError::Invalid {
        path: path.to_owned(),
        field,
        why,
    };
    let issuers = issuers::issuers(file, &at).map_err(|(f, w)| invalid(f, w))?;
    let agents = agents::agents(file, &issuers).map_err(|(f, w)| invalid(f, w))?;
    let operators = operators::operators(file, &at).map_err(|(f, w)| invalid(f, w))?;
    Ok((operators, agents))
}

/// How held calls wait, and how many approvers they need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approvals {
    /// How long a caller waits for a decision.
    pub wait: Duration,
    /// How long an approval request stays open.
    pub expiry: Duration,
    /// Distinct approvers needed, by impact level or `plugin.tool`.
    pub required: BTreeMap<String, u32>,
    /// An operator may not approve a call made under a token they issued.
    pub four_eyes: bool,
}

impl Approvals {
    /// How many distinct approvers a call of `tool` at `impact` needs: the
    /// tool's number if set, else the impact level's, else 1.
    pub fn required(&self, tool: &str, impact: Impact) -> u32 {
        self.required
            .get(tool)
            .or_else(|| self.required.get(impact.as_str()))
            .copied()
            .unwrap_or(1)
            .max(1)
    }
}

/// The audit chain's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSettings {
    /// Where the chain lives.
    pub dir: PathBuf,
    /// Where checkpoints are copied to, if anywhere.
    pub witness: Option<PathBuf>,
    /// Disk space held back for the outcomes of running calls.
    pub reserve: u64,
    /// The size past which the open segment is sealed (0: never).
    pub segment_size: u64,
    /// The age past which the open segment is sealed, if any.
    pub segment_age: Option<std::time::Duration>,
    /// Sealed segments older than this are moved to `archive`.
    pub retain: Option<std::time::Duration>,
    /// Where retention moves sealed segments.
    pub archive: Option<PathBuf>,
    /// The largest input whose arguments a call record keeps.
    pub arguments: u64,
    /// Witnesses asked to cosign every checkpoint.
    pub witnesses: Vec<Witness>,
}
