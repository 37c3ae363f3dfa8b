//! The agents of a host config, checked once into typed [`Agent`]s:
//! separate identities with their owners, models and tool grants.

use crate::config::model::AgentEntry;
use crate::vocab::{Rate, parse_rate, valid_plugin_id, valid_tool_name};

/// One configured agent: a separate identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// Agent id.
    pub id: String,
    /// Who owns the agent.
    pub owner: String,
    /// The model it runs on.
    pub model: String,
    /// Who owns the model.
    pub model_owner: String,
    /// Tool patterns it may use: `plugin.tool` or `plugin.*`.
    pub tools: Vec<String>,
    /// Its rate limit.
    pub rate: Option<Rate>,
    /// Its concurrency cap.
    pub max_concurrent: Option<u32>,
    /// Only DPoP-bound tokens (RFC 9449).
    pub require_dpop: bool,
}

/// Check one agent entry; the error names the field.
pub(super) fn agent(a: &AgentEntry) -> Result<Agent, (String, String)> {
    if !valid_id(&a.id) {
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
        let ok = t
            .split_once('.')
            .is_some_and(|(p, tool)| valid_plugin_id(p) && (tool == "*" || valid_tool_name(tool)));
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
        .map(parse_rate)
        .transpose()
        .map_err(|why| ("rate".to_string(), why.0))?;
    Ok(Agent {
        id: a.id.clone(),
        owner: a.owner.clone(),
        model: a.model.clone(),
        model_owner: a.model_owner.clone(),
        tools: a.tools.clone(),
        rate,
        max_concurrent: a.max_concurrent,
        require_dpop: a.require_dpop,
    })
}

/// Task ids and agent ids: 1–64 of `[A-Za-z0-9._:-]`, starting alphanumeric.
pub fn valid_id(t: &str) -> bool {
    (1..=64).contains(&t.len())
        && t.starts_with(|c: char| c.is_ascii_alphanumeric())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c))
}

/// Every `[[agents]]` entry of `file`, checked (their workload identities
/// against `issuers`); the error names the field.
pub(super) fn agents(
    file: &crate::config::ConfigFile,
    issuers: &[crate::config::Issuer],
) -> Result<Vec<Agent>, (String, String)> {
    let mut out: Vec<Agent> = Vec::new();
    for (i, a) in file.agents.iter().enumerate() {
        super::issuers::workloads(&a.workload, issuers)
            .map_err(|why| (format!("agents[{i}].workload"), why))?;
        for w in &a.workload {
            if let Some(other) = file.agents[..i]
                .iter()
                .find(|b| b.workload.iter().any(|x| super::issuers::overlap(x, w)))
            {
                return Err((
                    format!("agents[{i}].workload"),
                    format!(
                        "that workload identity is (or can be) agent {} already — the same issuer and the same subject or client id; one workload is one agent",
                        other.id
                    ),
                ));
            }
        }
        let agent = agent(a).map_err(|(f, why)| (format!("agents[{i}].{f}"), why))?;
        if out.iter().any(|x| x.id == agent.id) {
            return Err((
                format!("agents[{i}].id"),
                format!(
                    "agent {} is defined twice; separate agents need separate ids",
                    a.id
                ),
            ));
        }
        out.push(agent);
    }
    Ok(out)
}
