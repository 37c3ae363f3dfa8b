//! Authorization: who is calling (task token, agent identity), whether the
//! call is in scope and granted, rate limits, policy on the actual
//! arguments, and who may approve or stop what.

mod agents;
mod policy;
mod rate;
mod refusal;
mod token;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::HostConfig;
use crate::manifest::parse_rate;
use crate::sandbox::parse_duration;
use crate::state::{StateDb, StopState, Stopped};
use crate::tool::Impact;

pub use agents::{Agent, Agents, valid_task};
pub use policy::{
    PolicyDecision, PolicyEngine, PolicyEntity, PolicyError, PolicyInput, PolicyTool,
};
pub use rate::{ConcurrencyRule, InflightGuard, Limiter, RateRule};
pub use refusal::Refusal;
pub use token::{TaskToken, TokenFormatError, TokenKey, new_token_id, tool_matches, within};

/// Who may approve calls of `tool` (`plugin.tool`) at `impact`: the tool's
/// list if configured, else the impact level's.
pub fn approvers_for(config: &HostConfig, tool: &str, impact: &str) -> Vec<String> {
    let ap = &config.file.approvals;
    ap.tools
        .get(tool)
        .or_else(|| ap.impact.get(impact))
        .cloned()
        .unwrap_or_default()
}

/// Why the accountability configuration cannot be used: a start-up error.
#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    /// A value in the config.
    #[error("config `{field}`: {why}")]
    Config {
        /// The field.
        field: String,
        /// What is wrong.
        why: String,
    },
    /// The policies.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The token key.
    #[error("token key: {0}")]
    TokenKey(String),
}

/// A stop-button or approval permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorAction {
    /// Halt and resume.
    Halt,
    /// Quarantine agents, disable plugins.
    Quarantine,
    /// Release agents, enable plugins.
    Release,
    /// Revoke task tokens.
    Tokens,
}

/// The authorization layer of one host.
#[derive(Debug)]
pub struct Authz {
    agents: Agents,
    token_key: TokenKey,
    policy: PolicyEngine,
    config: HostConfig,
    tool_rates: BTreeMap<String, RateRule>,
    tool_concurrency: BTreeMap<String, u32>,
    plugin_rates: BTreeMap<String, RateRule>,
    /// Rate windows and in-flight counters.
    pub limiter: Limiter,
    /// How long a held call waits for approval.
    pub approval_wait: Duration,
    /// How long an approval request stays open.
    pub approval_expiry: Duration,
}

pub(crate) fn rate_rule(key: String, text: &str) -> Result<RateRule, String> {
    let (calls, secs) = parse_rate(text)?;
    Ok(RateRule {
        key,
        calls,
        per: Duration::from_secs(secs),
        text: text.to_owned(),
    })
}

impl Authz {
    /// Build the layer from the config and the loaded plugins: agents,
    /// token key (created on first use under the state directory), policies
    /// checked against the plugins' tools, rate limits.
    ///
    /// # Errors
    ///
    /// [`AuthzError`] naming the field, policy file and line at fault.
    pub fn new(
        config: &HostConfig,
        plugins: &[PolicyEntity],
        tools: &[PolicyTool],
        plugin_rates: &BTreeMap<String, String>,
    ) -> Result<Self, AuthzError> {
        let cfg = |field: String, why: String| AuthzError::Config { field, why };
        let agents = Agents::from_config(config)?;
        let token_key = TokenKey::load_or_create(&config.state_dir.join("keys"))
            .map_err(AuthzError::TokenKey)?;
        let mut rates = BTreeMap::new();
        for (plugin, r) in plugin_rates {
            rates.insert(
                plugin.clone(),
                rate_rule(format!("plugin:{plugin}"), r)
                    .map_err(|why| cfg(format!("{plugin}: limits.rate"), why))?,
            );
        }
        let plugin_rates = rates;
        let agent_entities: Vec<PolicyEntity> = agents
            .iter()
            .map(|a| PolicyEntity {
                id: a.id.clone(),
                attrs: [
                    ("owner".to_string(), a.owner.clone()),
                    ("model".to_string(), a.model.clone()),
                    ("model_owner".to_string(), a.model_owner.clone()),
                ]
                .into(),
            })
            .collect();
        let files: Vec<_> = config
            .file
            .policy
            .files
            .iter()
            .map(|f| config.resolve(f))
            .collect();
        let policy = PolicyEngine::load(&files, &agent_entities, plugins, tools)?;

        let mut tool_rates = BTreeMap::new();
        for (tool, r) in &config.file.rates.tools {
            tool_rates.insert(
                tool.clone(),
                rate_rule(format!("tool:{tool}"), r)
                    .map_err(|why| cfg(format!("rates.tools.{tool}"), why))?,
            );
        }
        let ap = &config.file.approvals;
        let approval_wait = match &ap.wait {
            Some(w) => {
                parse_duration(w).map_err(|e| cfg("approvals.wait".into(), e.to_string()))?
            }
            None => Duration::from_secs(30),
        };
        let approval_expiry = match &ap.expiry {
            Some(w) => {
                parse_duration(w).map_err(|e| cfg("approvals.expiry".into(), e.to_string()))?
            }
            None => Duration::from_secs(900),
        };
        for k in ap.impact.keys() {
            if !["read", "write", "high"].contains(&k.as_str()) {
                return Err(cfg(
                    format!("approvals.impact.{k}"),
                    "impact levels are read, write and high".into(),
                ));
            }
        }
        Ok(Self {
            agents,
            token_key,
            policy,
            config: config.clone(),
            tool_rates,
            tool_concurrency: config.file.rates.concurrent.clone(),
            plugin_rates,
            limiter: Limiter::default(),
            approval_wait,
            approval_expiry,
        })
    }

    /// A configured agent.
    pub fn agent(&self, id: &str) -> Option<&Agent> {
        self.agents.get(id)
    }

    /// All agents.
    pub fn agents(&self) -> impl Iterator<Item = &Agent> {
        self.agents.iter()
    }

    /// The policy engine.
    pub fn policy(&self) -> &PolicyEngine {
        &self.policy
    }

    /// The agents.
    pub fn agents_table(&self) -> &Agents {
        &self.agents
    }

    /// Issue a task token (see [`Agents::issue_token`]).
    ///
    /// # Errors
    ///
    /// A message saying why no token was issued.
    pub fn issue_token(
        &self,
        agent: &str,
        task: &str,
        tools: &[String],
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<(String, TaskToken), String> {
        self.agents
            .issue_token(&self.token_key, agent, task, tools, ttl, now)
    }

    /// Check a presented token: signature, time window (with the allowed
    /// skew), revocation, and that its agent exists.
    ///
    /// # Errors
    ///
    /// The [`Refusal`] naming what failed.
    pub fn check_token(
        &self,
        token: &str,
        now: DateTime<Utc>,
        state: &StateDb,
    ) -> Result<(TaskToken, &Agent), Refusal> {
        self.check_token_with(token, now, |id| {
            state
                .token_revocation(id)
                .map_err(|e| Refusal::Host(e.to_string()))
        })
    }

    /// [`Authz::check_token`] against a snapshot of the stop state (the
    /// serving path: no database query per call).
    ///
    /// # Errors
    ///
    /// The [`Refusal`] naming what failed.
    pub fn check_token_cached(
        &self,
        token: &str,
        now: DateTime<Utc>,
        stops: &StopState,
    ) -> Result<(TaskToken, &Agent), Refusal> {
        self.check_token_with(token, now, |id| Ok(stops.tokens.get(id).cloned()))
    }

    fn check_token_with(
        &self,
        token: &str,
        now: DateTime<Utc>,
        revocation: impl FnOnce(&str) -> Result<Option<Stopped>, Refusal>,
    ) -> Result<(TaskToken, &Agent), Refusal> {
        if token.trim().is_empty() {
            return Err(Refusal::Token(
                "no task token presented (use --token or WARRANT_TOKEN, or Authorization: Bearer)"
                    .into(),
            ));
        }
        let t = self
            .token_key
            .decode(token)
            .map_err(|e| Refusal::Token(e.to_string()))?;
        let skew = i64::try_from(self.config.clock_skew.as_secs()).unwrap_or(0);
        let now_s = now.timestamp();
        if now_s + skew < t.nbf {
            return Err(Refusal::TokenTime {
                token_id: t.id,
                why: format!("not valid before {}", fmt_time(t.nbf)),
            });
        }
        if now_s - skew >= t.exp {
            return Err(Refusal::TokenTime {
                token_id: t.id,
                why: format!("expired at {}", fmt_time(t.exp)),
            });
        }
        if let Some(r) = revocation(&t.id)? {
            return Err(Refusal::Revoked {
                token_id: t.id,
                by: r.by,
                reason: r.reason,
            });
        }
        let agent = self
            .agents
            .get(&t.agent)
            .ok_or_else(|| Refusal::AgentGrant {
                agent: t.agent.clone(),
                tool: "any tool".into(),
            })?;
        Ok((t, agent))
    }

    /// The rate rules for a call.
    pub fn rate_rules(&self, agent: &Agent, plugin: &str, tool: &str) -> Vec<RateRule> {
        let mut rules = Vec::new();
        if let Some(r) = &agent.rate {
            rules.push(r.clone());
        }
        if let Some(r) = self.tool_rates.get(tool) {
            rules.push(r.clone());
        }
        if let Some(r) = self.plugin_rates.get(plugin) {
            rules.push(r.clone());
        }
        rules
    }

    /// The concurrency caps for a call.
    pub fn concurrency_rules(&self, agent: &Agent, tool: &str) -> Vec<ConcurrencyRule> {
        let mut rules = Vec::new();
        if let Some(n) = agent.max_concurrent {
            rules.push(ConcurrencyRule {
                key: format!("agent:{}", agent.id),
                max: n,
            });
        }
        if let Some(n) = self.tool_concurrency.get(tool) {
            rules.push(ConcurrencyRule {
                key: format!("tool:{tool}"),
                max: *n,
            });
        }
        rules
    }

    /// Who may approve calls of `tool` (`plugin.tool`) at `impact`: the
    /// tool's list if configured, else the impact level's.
    pub fn approvers(&self, tool: &str, impact: Impact) -> Vec<String> {
        approvers_for(&self.config, tool, impact.as_str())
    }

    /// Whether `name` may take `action`.
    pub fn operator_may(&self, action: OperatorAction, name: &str) -> bool {
        operator_may(&self.config, action, name)
    }
}

/// Whether `name` may take `action` under `config` (deny unless listed).
pub fn operator_may(config: &HostConfig, action: OperatorAction, name: &str) -> bool {
    let o = &config.file.operators;
    let list = match action {
        OperatorAction::Halt => &o.halt,
        OperatorAction::Quarantine => &o.quarantine,
        OperatorAction::Release => &o.release,
        OperatorAction::Tokens => &o.tokens,
    };
    list.iter().any(|n| n == name)
}

fn fmt_time(secs: i64) -> String {
    DateTime::<Utc>::from_timestamp(secs, 0).map_or_else(|| secs.to_string(), |t| t.to_rfc3339())
}
