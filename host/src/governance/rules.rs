//! Where the line is between the rules and the serving settings. The rules
//! are every part of `warrant.toml` that grants or limits authority; they
//! are what a release holds and governors sign. Everything else serves
//! (where to listen and keep state, how to log, where to notify) and is
//! read from the file as it is.
//!
//! | in the rules | serving settings, outside them |
//! |---|---|
//! | `[governance]` | `[host] state-dir`, `audit-dir` |
//! | `[trust]`, `[[plugins]]` (each manifest pinned by digest) | `[sandbox] cache-dir` |
//! | `[[agents]]`, `[[issuers]]`, `[[operators]]` | `[audit]` (witness, reserve, arguments) |
//! | `[approvals]`, `[policy] files` and `shadow` | `[policy] tests` |
//! | `[rates]`, `[ceilings]`, `[[budgets]]` | `[api] public-url`, `metrics-token-file` |
//! | `[console]` (session, OpenID provider) | `[[webhooks]]`, `[state]`, `[telemetry]` |
//! | `[host] max-token-ttl`, `clock-skew` | |
//! | `[sandbox] fuel`, `max-memory`, `max-instances`, `max-core-instances` | |
//! | `[egress] ca-files`, `[api] resource` | |

use serde::{Deserialize, Serialize};

use crate::config::AgentEntry;
use crate::config::{
    ApprovalsSection, BudgetEntry, CeilingsSection, ConfigFile, ConsoleSection, GovernanceSection,
    IssuerEntry, OperatorEntry, PluginEntry, RatesSection, TrustSection,
};

/// The rules: the authority-bearing sections of a host config.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Rules {
    /// Who may change the rules.
    pub governance: GovernanceSection,
    /// Keys trusted to sign manifests.
    pub trust: TrustSection,
    /// The plugins, each manifest pinned by the release's files.
    pub plugins: Vec<PluginEntry>,
    /// The agents and their grants.
    pub agents: Vec<AgentEntry>,
    /// Where agents' credentials may come from.
    pub issuers: Vec<IssuerEntry>,
    /// Who may act, with which roles and keys.
    pub operators: Vec<OperatorEntry>,
    /// Who approves what, how many.
    pub approvals: ApprovalsSection,
    /// The live and shadow policy files.
    pub policy: PolicyRules,
    /// Rates and concurrency caps.
    pub rates: RatesSection,
    /// The most any plugin may be granted.
    pub ceilings: CeilingsSection,
    /// Budgets.
    pub budgets: Vec<BudgetEntry>,
    /// The console's sessions and OpenID provider.
    pub console: ConsoleSection,
    /// Token lifetimes and clock skew.
    pub host: HostRules,
    /// The sandbox's ceilings.
    pub sandbox: SandboxRules,
    /// CAs trusted for plugins' HTTPS.
    pub egress: EgressRules,
    /// The audience tokens must name.
    pub api: ApiRules,
}

/// `[policy]` without its tests (which grant nothing).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PolicyRules {
    /// The live policy files.
    pub files: Vec<String>,
    /// The shadow policy files.
    pub shadow: Vec<String>,
}

/// The rules of `[host]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HostRules {
    /// The longest task-token lifetime.
    pub max_token_ttl: Option<String>,
    /// The clock skew allowed.
    pub clock_skew: Option<String>,
}

/// The rules of `[sandbox]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SandboxRules {
    /// Fuel metering.
    pub fuel: bool,
    /// The most memory any plugin may have.
    pub max_memory: Option<String>,
    /// Instances alive at once.
    pub max_instances: Option<u32>,
    /// Core instances one instantiation may create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_core_instances: Option<u32>,
}

/// The rules of `[egress]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EgressRules {
    /// CAs trusted for plugins' HTTPS.
    pub ca_files: Vec<String>,
}

/// The rules of `[api]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ApiRules {
    /// The resource identifier tokens must name.
    pub resource: Option<String>,
}

impl Rules {
    /// The rules a config file writes.
    pub fn of(f: &ConfigFile) -> Self {
        Self {
            governance: f.governance.clone(),
            trust: f.trust.clone(),
            plugins: f.plugins.clone(),
            agents: f.agents.clone(),
            issuers: f.issuers.clone(),
            operators: f.operators.clone(),
            approvals: f.approvals.clone(),
            policy: PolicyRules {
                files: f.policy.files.clone(),
                shadow: f.policy.shadow.clone(),
            },
            rates: f.rates.clone(),
            ceilings: f.ceilings.clone(),
            budgets: f.budgets.clone(),
            console: f.console.clone(),
            host: HostRules {
                max_token_ttl: f.host.max_token_ttl.clone(),
                clock_skew: f.host.clock_skew.clone(),
            },
            sandbox: SandboxRules {
                fuel: f.sandbox.fuel,
                max_memory: f.sandbox.max_memory.clone(),
                max_instances: f.sandbox.max_instances,
                max_core_instances: f.sandbox.max_core_instances,
            },
            egress: EgressRules {
                ca_files: f.egress.ca_files.clone(),
            },
            api: ApiRules {
                resource: f.api.resource.clone(),
            },
        }
    }

    /// `f` with these rules in place of its own: what a host runs with is
    /// the file's serving settings and the release's rules.
    pub fn apply_to(&self, mut f: ConfigFile) -> ConfigFile {
        let r = self.clone();
        f.governance = r.governance;
        f.trust = r.trust;
        f.plugins = r.plugins;
        f.agents = r.agents;
        f.issuers = r.issuers;
        f.operators = r.operators;
        f.approvals = r.approvals;
        f.policy.files = r.policy.files;
        f.policy.shadow = r.policy.shadow;
        f.rates = r.rates;
        f.ceilings = r.ceilings;
        f.budgets = r.budgets;
        f.console = r.console;
        f.host.max_token_ttl = r.host.max_token_ttl;
        f.host.clock_skew = r.host.clock_skew;
        f.sandbox.fuel = r.sandbox.fuel;
        f.sandbox.max_memory = r.sandbox.max_memory;
        f.sandbox.max_instances = r.sandbox.max_instances;
        f.sandbox.max_core_instances = r.sandbox.max_core_instances;
        f.egress.ca_files = r.egress.ca_files;
        f.api.resource = r.api.resource;
        f
    }

    /// Every file the rules name, as written: the content of each is part
    /// of the release (pinned by its digest, archived).
    pub fn files(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |p: &String| {
            if !out.contains(p) {
                out.push(p.clone());
            }
        };
        for g in &self.governance.governors {
            g.public_key_file.iter().for_each(&mut add);
        }
        for k in &self.trust.keys {
            k.public_key_file.iter().for_each(&mut add);
        }
        for p in &self.plugins {
            add(&p.manifest);
        }
        for i in &self.issuers {
            i.jwks_file.iter().for_each(&mut add);
        }
        for o in &self.operators {
            for k in &o.keys {
                k.public_key_file.iter().for_each(&mut add);
            }
        }
        self.policy.files.iter().for_each(&mut add);
        self.policy.shadow.iter().for_each(&mut add);
        self.egress.ca_files.iter().for_each(&mut add);
        out
    }
}
