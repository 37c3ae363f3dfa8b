//! [`HostConfig`]: a config read and checked once — the file as written
//! and the typed values the rest of the host uses.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::{
    Agent, Approvals, AuditSettings, Budget, Ceilings, ConfigError, ConfigFile, Console,
    Governance, Issuer, Operator, OperatorKey, RuleFiles, SandboxSettings, StateSettings, Webhook,
    agents, budgets, console, governance, issuers, operators, sources, state, trust, webhooks,
};
use crate::keys::TrustStore;
use crate::vocab::{Impact, Rate, parse_duration, parse_rate, parse_size};

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
    /// Who may change the rules.
    pub governance: Governance,
    /// OpenTelemetry export (`[telemetry]` and the `OTEL_*` environment).
    pub telemetry: crate::config::Telemetry,
    /// Where the files the rules name were read from: the operator's disk,
    /// or a release's archive.
    pub files: RuleFiles,
    /// The live policy files: each where it is named and where it was read.
    pub policy_files: Vec<RuleFile>,
    /// The shadow policy files, likewise.
    pub shadow_files: Vec<RuleFile>,
}

/// A file of the rules: the path it is known by (relative to the config's
/// directory, as written) and where its content is read from (that path on
/// disk, or a release's archived copy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFile {
    /// The name: the config's directory joined with the path as written.
    pub name: PathBuf,
    /// Where to read it.
    pub read_from: PathBuf,
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
        Self::from_file(file, path, RuleFiles::Disk)
    }

    /// Check a parsed config as if read from `path`, reading the files its
    /// rules name from `files`.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the field at fault.
    pub fn from_file(file: ConfigFile, path: &Path, files: RuleFiles) -> Result<Self, ConfigError> {
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
        let at = sources::Place {
            dir: &dir,
            files: &files,
        };
        let trust =
            trust::trust_store(&file.trust, &at).map_err(|(field, why)| invalid(&field, why))?;
        let issuers = issuers::issuers(&file, &at).map_err(|(f, why)| invalid(&f, why))?;
        let agents = agents::agents(&file, &issuers).map_err(|(f, why)| invalid(&f, why))?;
        let operators = operators::operators(&file, &at).map_err(|(f, why)| invalid(&f, why))?;
        let governance =
            governance::governance(&file.governance, &at).map_err(|(f, why)| invalid(&f, why))?;
        let rule_files = |list: &[String], field: &str| {
            list.iter()
                .map(|f| {
                    Ok(RuleFile {
                        name: dir.join(f),
                        read_from: at.locate(f).map_err(|why| invalid(field, why))?,
                    })
                })
                .collect::<Result<Vec<_>, ConfigError>>()
        };
        let policy_files = rule_files(&file.policy.files, "policy.files")?;
        let shadow_files = rule_files(&file.policy.shadow, "policy.shadow")?;
        let egress_ca_files = file
            .egress
            .ca_files
            .iter()
            .map(|f| at.locate(f).map_err(|why| invalid("egress.ca-files", why)))
            .collect::<Result<Vec<_>, _>>()?;
        let budgets = budgets::budgets(&file.budgets).map_err(|(f, why)| invalid(&f, why))?;
        let webhooks =
            webhooks::webhooks(&file.webhooks, &dir).map_err(|(f, why)| invalid(&f, why))?;
        let (console, state) = (
            console::console(&file.console, &dir).map_err(|(f, why)| invalid(&f, why))?,
            state::state(&file.state, &dir).map_err(|(f, why)| invalid(&f, why))?,
        );
        let telemetry = super::telemetry::telemetry(&file.telemetry, |k| std::env::var(k).ok())
            .map_err(|(f, why)| invalid(&f, why))?;
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
        let ceilings = Ceilings {
            set: file
                .ceilings
                .read(&dir)
                .map_err(|e| invalid(&e.field, e.why))?,
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
            segment_size: match &file.audit.segment_size {
                Some(r) => {
                    parse_size(r).map_err(|e| invalid("audit.segment-size", e.to_string()))?
                }
                None => 256 * crate::vocab::MIB,
            },
            segment_age: file
                .audit
                .segment_age
                .as_deref()
                .map(parse_duration)
                .transpose()
                .map_err(|e| invalid("audit.segment-age", e.to_string()))?,
            retain: match (&file.audit.retain, &file.audit.archive) {
                (Some(r), Some(_)) => {
                    Some(parse_duration(r).map_err(|e| invalid("audit.retain", e.to_string()))?)
                }
                (Some(_), None) => {
                    return Err(invalid(
                        "audit.retain",
                        "needs audit.archive: the folder to move sealed segments to".into(),
                    ));
                }
                (None, _) => None,
            },
            archive: file.audit.archive.as_ref().map(|a| dir.join(a)),
            arguments: match &file.audit.arguments {
                Some(r) => parse_size(r).map_err(|e| invalid("audit.arguments", e.to_string()))?,
                None => 16 * 1024,
            },
            witnesses: super::witnesses::witnesses(&file.audit.witnesses, &dir)
                .map_err(|(f, why)| invalid(&f, why))?,
        };
        Ok(Self {
            egress_ca_files,
            governance,
            files,
            policy_files,
            shadow_files,
            metrics_token_file: file.api.metrics_token_file.as_ref().map(|f| dir.join(f)),
            webhooks,
            console,
            state,
            telemetry,
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

    /// Where to read a file the rules name (`p` as the config writes it):
    /// the config's directory, or the release's archive.
    ///
    /// # Errors
    ///
    /// Under a release that pins no such file, or whose copy is missing.
    pub fn locate(&self, p: &str) -> Result<PathBuf, String> {
        self.files.locate(&self.dir, p)
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
            .chain(self.governance.unusable.iter().cloned())
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
