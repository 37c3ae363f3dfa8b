//! The tools a task token may call now, for MCP `tools/list` and
//! `GET /v1/tools`: the same layers as a call (token, stops, scope, agent
//! grant, plugin disabled), without calling anything.

use crate::authz::{Refusal, tool_matches};
use crate::mediation::Host;
use crate::vocab::Impact;

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
    /// JSON Schema of the output (text), when the signed manifest names one.
    pub output_schema: Option<String>,
    /// Impact.
    pub impact: Impact,
}

impl Host {
    /// The tools a task token may call now: in the token's scope, in its
    /// agent's grant, offered by a loaded and enabled plugin.
    ///
    /// # Errors
    ///
    /// The [`Refusal`] when the token itself is not accepted, or the agent
    /// or the host is stopped.
    pub async fn tools_for(&self, token: &str) -> Result<Vec<ToolView>, Refusal> {
        let stops = self.stops_for_call().await?;
        let loaded = self.loaded();
        let (t, agent) = loaded
            .authz
            .admit_token(token, &stops, chrono::Utc::now())
            .await
            .map_err(|d| d.refusal)?;
        let mut out = Vec::new();
        for p in loaded.registry.plugins() {
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
                        output_schema: tool.output_schema.clone(),
                        impact: tool.impact,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Check a token as the v1 endpoints need it: the agent it names, if
    /// the token is accepted now.
    ///
    /// # Errors
    ///
    /// The [`Refusal`] of the token layers.
    pub async fn token_agent(&self, token: &str) -> Result<String, Refusal> {
        let stops = self.stops_for_call().await?;
        let loaded = self.loaded();
        let (_, agent) = loaded
            .authz
            .admit_token(token, &stops, chrono::Utc::now())
            .await
            .map_err(|d| d.refusal)?;
        Ok(agent.id.clone())
    }

    /// The agent a token belongs to, if the token itself is accepted
    /// (signature, time, revocation) whatever the stop buttons say: an
    /// agent reads what became of its own held calls while the host is
    /// halted or the agent quarantined.
    ///
    /// # Errors
    ///
    /// The [`Refusal`] of the token.
    pub async fn token_owner(&self, token: &str) -> Result<String, Refusal> {
        let stops = self.stops_for_call().await?;
        let loaded = self.loaded();
        match loaded
            .authz
            .admit_token(token, &stops, chrono::Utc::now())
            .await
        {
            Ok((_, agent)) => Ok(agent.id.clone()),
            Err(d) => match (&d.refusal, d.known.agent) {
                (Refusal::Halted { .. } | Refusal::Quarantined { .. }, Some(agent)) => {
                    Ok(agent.id.clone())
                }
                _ => Err(d.refusal),
            },
        }
    }
}
