//! Who made a call, for which task, with which credential, under which
//! signed grant: the fields every call record (and approval request)
//! carries, each one as soon as it is known.

use serde::{Deserialize, Serialize};

use crate::vocab::Impact;

/// The attribution of one call. Fields are filled in as the call path
/// learns them; one still `None` when a record is written was not known
/// then (e.g. the plugin of a call refused for its token) and is left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    /// The call's id, in every record of the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// How it arrived: `cli`, `mcp`, `http` or `lib`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The agent the task token names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Who owns the agent (from the host config).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_owner: Option<String>,
    /// The model the agent runs on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Who owns the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_owner: Option<String>,
    /// The task the token is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// The task token's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    /// The identity credential the token came from (a workload credential
    /// it was exchanged for, or an accepted access token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<super::CredentialRef>,
    /// `plugin.tool` as asked for (capped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The plugin that offers the tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// Its version, from the signed manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin_version: Option<String>,
    /// `sha256:` of the component's bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_digest: Option<String>,
    /// `sha256:` of the signed manifest (its canonical bytes) whose grants
    /// were in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    /// The id of the key that signed the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// Who answers for the tool's actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_owner: Option<String>,
    /// The tool's impact level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Impact>,
    /// The release of the rules in force when it was decided (from
    /// format 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<crate::governance::ReleaseRef>,
    /// What a credential that did not verify claimed — the task, agent
    /// and token id it names, as written in it and never believed (from
    /// format 8): a failed attempt stays in the story of the task it
    /// named. `task`, `agent` and `token_id` above are only ever verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed: Option<Claimed>,
}

/// What an unverified credential names of itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claimed {
    /// The task it names.
    pub task: String,
    /// The agent it names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Its token id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
}
