//! The operator's host configuration, `warrant.toml`: trusted keys,
//! plugins, agents, approvers, operators, policies, ceilings. It is read
//! and checked once; [`HostConfig`] holds the typed values the rest of the
//! host uses. Relative paths are relative to the config file.

mod agents;
mod budgets;
mod ceilings;
mod console;
mod issuers;
mod model;
mod operators;
mod provision;
mod sandbox;
mod state;
mod trust;
mod webhooks;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::keys::TrustStore;
use crate::vocab::{Impact, Rate, parse_duration, parse_rate, parse_size};

pub use agents::{Agent, valid_id};
pub use budgets::{Budget, BudgetEntry, BudgetPer};
pub use ceilings::{Ceilings, HttpCeiling, normal};
pub use console::{Console, ConsoleOidc, ConsoleOidcEntry, ConsoleSection};
pub use issuers::{ALGORITHMS, Issuer, IssuerEntry, JwksSource, WorkloadEntry};
pub use model::{
    AgentEntry, ApiSection, ApprovalsSection, AuditSection, CeilingsSection, ConfigFile,
    EgressSection, HostSection, KeyEntry, LimitOverrides, OidcEntry, OperatorEntry,
    OperatorKeyEntry, PluginEntry, PolicySection, RatesSection, SecretSource, TrustSection,
};
pub use operators::{OidcIdentity, Operator, OperatorKey, Role};
pub use provision::{create_state_dir_operator_keys, create_state_dir_publisher_keys};
pub use sandbox::{SandboxSection, SandboxSettings};
pub use state::{PostgresSettings, StateSection, StateSettings};
pub use webhooks::{Webhook, WebhookEntry, WebhookFormat};

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
    /// The largest input whose arguments a call record keeps.
    pub arguments: u64,
}

/// A loaded configuration: the file as written and its typed values.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// The parsed file.
    pub file: ConfigFile,
    /// The config file's path.
    pub path: PathBuf,
    /// The directory relative paths are resolved against.
    pub dir: PathBuf,
    /// The state directory.
    pub state_dir: PathBuf,
    /// Keys trusted to sign manifests.
    pub trust: TrustStore,
    /// Sandbox settings.
    pub sandbox: SandboxSettings,
    /// Longest task-token lifetime.
    pub max_token_ttl: Duration,
    /// Allowed clock skew for token times.
    pub clock_skew: Duration,
    /// The agents, checked.
    pub agents: Vec<Agent>,
    /// The operators, checked.
    pub operators: Vec<Operator>,
    /// The identity issuers agents' credentials may come from.
    pub issuers: Vec<Issuer>,
    /// Budgets of tasks, agents and tools.
    pub budgets: Vec<Budget>,
    /// Approvers and waits.
    pub approvals: Approvals,
    /// Per-tool rate limits across all agents.
    pub tool_rates: BTreeMap<String, Rate>,
    /// The most any plugin may be granted.
    pub ceilings: Ceilings,
    /// The audit chain.
    pub audit: AuditSettings,
    /// Extra CA certificates trusted for plugins' HTTPS.
    pub egress_ca_files: Vec<PathBuf>,
    /// The file holding `/metrics`' bearer token, if it needs one.
    pub metrics_token_file: Option<PathBuf>,
    /// Where approvers are told of held calls.
    pub webhooks: Vec<Webhook>,
    /// The console in the browser.
    pub console: Console,
    /// Where the shared state lives.
    pub state: StateSettings,
}

impl HostConfig {
    /// Read and check `warrant.toml`.
    ///
    /// # Ambient Authority
    ///
    /// Reads `path`, which the operator names.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the file, line or field at fault.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_owned(),
            why: e.to_string(),
        })?;
        Self::from_toml(&text, path)
    }

    /// Check configuration text as if read from `path`.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the line or field at fault.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        let invalid = |field: &str, why: String| ConfigError::Invalid {
            path: path.to_owned(),
            field: field.to_owned(),
            why,
        };
        let duration = |v: &Option<String>, field: &str, default: u64| match v {
            Some(t) => parse_duration(t).map_err(|e| invalid(field, e.to_string())),
            None => Ok(Duration::from_secs(default)),
        };
        let state_dir = dir.join(file.host.state_dir.as_deref().unwrap_or(".warrant"));
        let sandbox = SandboxSettings::read(&file.sandbox, &dir, &state_dir)
            .map_err(|(f, why)| invalid(&f, why))?;
        let max_token_ttl = duration(&file.host.max_token_ttl, "host.max-token-ttl", 3600)?;
        let clock_skew = duration(&file.host.clock_skew, "host.clock-skew", 30)?;
        let trust =
            trust::trust_store(&file.trust, &dir).map_err(|(field, why)| invalid(&field, why))?;
        let issuers = issuers::issuers(&file, &dir).map_err(|(f, why)| invalid(&f, why))?;
        let agents = agents::agents(&file, &issuers).map_err(|(f, why)| invalid(&f, why))?;
        let operators = operators::operators(&file, &dir).map_err(|(f, why)| invalid(&f, why))?;
        let budgets = budgets::budgets(&file.budgets).map_err(|(f, why)| invalid(&f, why))?;
        let webhooks =
            webhooks::webhooks(&file.webhooks, &dir).map_err(|(f, why)| invalid(&f, why))?;
        let (console, state) = (
            console::console(&file.console, &dir).map_err(|(f, why)| invalid(&f, why))?,
            state::state(&file.state, &dir).map_err(|(f, why)| invalid(&f, why))?,
        );
        let ap = &file.approvals;
        for (k, n) in &ap.required {
            if *n == 0 || (k.parse::<Impact>().is_err() && !k.contains('.')) {
                return Err(invalid(
                    &format!("approvals.required.{k}"),
                    "name an impact level (read, write, high) or a plugin.tool, and at least 1 approver".into(),
                ));
            }
        }
        let approvals = Approvals {
            wait: duration(&ap.wait, "approvals.wait", 30)?,
            expiry: duration(&ap.expiry, "approvals.expiry", 900)?,
            required: ap.required.clone(),
            four_eyes: ap.four_eyes,
        };
        let mut tool_rates = BTreeMap::new();
        for (tool, r) in &file.rates.tools {
            tool_rates.insert(
                tool.clone(),
                parse_rate(r).map_err(|why| invalid(&format!("rates.tools.{tool}"), why.0))?,
            );
        }
        let audit_dir = match &file.host.audit_dir {
            Some(d) => dir.join(d),
            None => state_dir.join("audit"),
        };
        let c = &file.ceilings;
        let ceilings = Ceilings {
            files: c
                .files
                .as_ref()
                .map(|l| l.iter().map(|f| dir.join(f)).collect()),
            http: c
                .http
                .as_ref()
                .map(|l| {
                    l.iter()
                        .map(|h| {
                            HttpCeiling::parse(h).map_err(|why| invalid("ceilings.http", why.0))
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?,
            secrets: c.secrets.clone(),
            env: c.env.clone(),
            state_dir: state_dir.clone(),
            protected: vec![
                state_dir.join("keys"),
                state_dir.join("state.db"),
                audit_dir.clone(),
                sandbox.cache_dir.clone(),
            ],
        };
        let audit = AuditSettings {
            dir: audit_dir,
            witness: file.audit.witness.as_ref().map(|w| dir.join(w)),
            reserve: match &file.audit.reserve {
                Some(r) => parse_size(r).map_err(|e| invalid("audit.reserve", e.to_string()))?,
                None => 4 * crate::vocab::MIB,
            },
            arguments: match &file.audit.arguments {
                Some(r) => parse_size(r).map_err(|e| invalid("audit.arguments", e.to_string()))?,
                None => 16 * 1024,
            },
        };
        Ok(Self {
            egress_ca_files: file.egress.ca_files.iter().map(|f| dir.join(f)).collect(),
            metrics_token_file: file.api.metrics_token_file.as_ref().map(|f| dir.join(f)),
            webhooks,
            console,
            state,
            file,
            path: path.to_owned(),
            dir,
            state_dir,
            trust,
            sandbox,
            max_token_ttl,
            clock_skew,
            agents,
            operators,
            issuers,
            budgets,
            approvals,
            tool_rates,
            ceilings,
            audit,
        })
    }

    /// Where the audit chain lives.
    pub fn audit_dir(&self) -> PathBuf {
        self.audit.dir.clone()
    }

    /// Resolve a path from the config against the config's directory.
    pub fn resolve(&self, p: &str) -> PathBuf {
        self.dir.join(p)
    }

    /// A configured agent.
    pub fn agent(&self, id: &str) -> Option<&Agent> {
        self.agents.iter().find(|a| a.id == id)
    }

    /// What in the config is accepted but not usable yet, in words (the
    /// host logs each at start).
    pub fn warnings(&self) -> Vec<String> {
        self.operators
            .iter()
            .flat_map(|o| o.unusable.iter().cloned())
            .collect()
    }

    /// An operator by name.
    pub fn operator(&self, name: &str) -> Option<&Operator> {
        self.operators.iter().find(|o| o.name == name)
    }

    /// The operator holding key `id`, and the key.
    pub fn operator_key(&self, id: &str) -> Option<(&Operator, &OperatorKey)> {
        self.operators
            .iter()
            .find_map(|o| o.keys.iter().find(|k| k.id == id).map(|k| (o, k)))
    }

    /// Who may approve calls of `tool` (`plugin.tool`) at `impact`.
    pub fn approvers(&self, tool: &str, impact: Impact) -> Vec<String> {
        self.operators
            .iter()
            .filter(|o| o.may_approve(tool, impact.as_str()))
            .map(|o| o.name.clone())
            .collect()
    }
}
