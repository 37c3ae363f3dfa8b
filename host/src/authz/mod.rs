//! Authorization: who is calling (task token, agent identity), whether the
//! call is in scope and granted, rate limits, policy on the actual
//! arguments, and who may approve or stop what.

mod policy;
mod rate;
mod refusal;
mod token;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::{AgentEntry, HostConfig};
use crate::manifest::parse_rate;
use crate::sandbox::parse_duration;
use crate::state::{StateDb, StopState, Stopped};
use crate::tool::Impact;

pub use policy::{
    PolicyDecision, PolicyEngine, PolicyEntity, PolicyError, PolicyInput, PolicyTool,
};
pub use rate::{ConcurrencyRule, InflightGuard, Limiter, RateRule};
pub use refusal::Refusal;
pub use token::{TaskToken, TokenFormatError, TokenKey, new_token_id, tool_matches, within};

/// One configured agent: a separate identity.
#[derive(Debug, Clone)]
pub struct Agent {
    /// Agent id.
    pub id: String,
    /// Who owns the agent.
    pub owner: String,
    /// The model it runs on.
    pub model: String,
    /// Who owns the model.
    pub model_owner: String,
    /// Tool patterns it may use.
    pub tools: Vec<String>,
    /// Its rate limit.
    pub rate: Option<RateRule>,
    /// Its concurrency cap.
    pub max_concurrent: Option<u32>,
}

/// The configured agents: separate identities, nothing shared.
#[derive(Debug, Clone, Default)]
pub struct Agents {
    map: BTreeMap<String, Agent>,
    max_ttl: Duration,
}

impl Agents {
    /// The agents of a config.
    ///
    /// # Errors
    ///
    /// [`AuthzError::Config`] naming the agent field at fault.
    pub fn from_config(config: &HostConfig) -> Result<Self, AuthzError> {
        let mut map = BTreeMap::new();
        for (i, a) in config.file.agents.iter().enumerate() {
            let agent = build_agent(a).map_err(|(f, why)| AuthzError::Config {
                field: format!("agents[{i}].{f}"),
                why,
            })?;
            if map.insert(agent.id.clone(), agent).is_some() {
                return Err(AuthzError::Config {
                    field: format!("agents[{i}].id"),
                    why: format!(
                        "agent {} is defined twice; separate agents need separate ids",
                        a.id
                    ),
                });
            }
        }
        Ok(Self {
            map,
            max_ttl: config.max_token_ttl,
        })
    }

    /// One agent.
    pub fn get(&self, id: &str) -> Option<&Agent> {
        self.map.get(id)
    }

    /// All agents.
    pub fn iter(&self) -> impl Iterator<Item = &Agent> {
        self.map.values()
    }

    /// Issue a task token for `agent` and `task`, scoped to `tools` (all the
    /// agent's grant when empty), valid for `ttl` from `now`.
    ///
    /// # Errors
    ///
    /// A message when the agent is unknown, a tool is outside its grant, the
    /// task id is unusable, or the lifetime is above the host's maximum.
    pub fn issue_token(
        &self,
        key: &TokenKey,
        agent: &str,
        task: &str,
        tools: &[String],
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<(String, TaskToken), String> {
        let a = self
            .map
            .get(agent)
            .ok_or_else(|| format!("no agent {agent} in the host config"))?;
        if !valid_task(task) {
            return Err(format!(
                "task {task:?} must be 1-64 of letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
            ));
        }
        if ttl.is_zero() || ttl > self.max_ttl {
            return Err(format!(
                "a token may live at most {} (host.max-token-ttl); asked for {}",
                crate::sandbox::Span(self.max_ttl),
                crate::sandbox::Span(ttl)
            ));
        }
        let scope = if tools.is_empty() {
            a.tools.clone()
        } else {
            for t in tools {
                if !within(&a.tools, t) {
                    return Err(format!(
                        "agent {agent} is not granted {t}; its grant is: {}",
                        a.tools.join(", ")
                    ));
                }
            }
            tools.to_vec()
        };
        if scope.is_empty() {
            return Err(format!("agent {agent} is granted no tools"));
        }
        let iat = now.timestamp();
        let token = TaskToken {
            id: new_token_id(),
            agent: agent.to_owned(),
            task: task.to_owned(),
            tools: scope,
            iat,
            nbf: iat,
            exp: iat + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2),
        };
        Ok((key.encode(&token), token))
    }
}

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

fn rate_rule(key: String, text: &str) -> Result<RateRule, String> {
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

fn build_agent(a: &AgentEntry) -> Result<Agent, (String, String)> {
    if !valid_task(&a.id) {
        return Err((
            "id".into(),
            format!(
                "{:?} must be 1-64 of letters, digits, '.', '_', ':' or '-'",
                a.id
            ),
        ));
    }
    for (f, v) in [
        ("owner", &a.owner),
        ("model", &a.model),
        ("model-owner", &a.model_owner),
    ] {
        if v.trim().is_empty() {
            return Err((
                f.into(),
                "must not be empty: accountability needs a name here".into(),
            ));
        }
    }
    for t in &a.tools {
        let ok = t.split_once('.').is_some_and(|(p, tool)| {
            crate::valid_plugin_id(p) && (tool == "*" || crate::valid_tool_name(tool))
        });
        if !ok {
            return Err((
                "tools".into(),
                format!("{t:?} must be plugin.tool or plugin.*"),
            ));
        }
    }
    let rate = a
        .rate
        .as_deref()
        .map(|r| rate_rule(format!("agent:{}", a.id), r))
        .transpose()
        .map_err(|why| ("rate".to_string(), why))?;
    Ok(Agent {
        id: a.id.clone(),
        owner: a.owner.clone(),
        model: a.model.clone(),
        model_owner: a.model_owner.clone(),
        tools: a.tools.clone(),
        rate,
        max_concurrent: a.max_concurrent,
    })
}

/// Task ids and agent ids: 1–64 of `[A-Za-z0-9._:-]`, starting alphanumeric.
pub fn valid_task(t: &str) -> bool {
    (1..=64).contains(&t.len())
        && t.starts_with(|c: char| c.is_ascii_alphanumeric())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c))
}

fn fmt_time(secs: i64) -> String {
    DateTime::<Utc>::from_timestamp(secs, 0).map_or_else(|| secs.to_string(), |t| t.to_rfc3339())
}
