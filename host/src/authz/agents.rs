//! Agents: separate identities with their owners, models and tool grants,
//! and issuing task tokens to them.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{AuthzError, RateRule, TaskToken, TokenKey, new_token_id, rate_rule, within};
use crate::config::{AgentEntry, HostConfig};

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

pub(super) fn build_agent(a: &AgentEntry) -> Result<Agent, (String, String)> {
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
