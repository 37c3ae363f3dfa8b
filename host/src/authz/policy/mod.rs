//! Policy as code with Cedar, evaluated on the actual call.
//!
//! * principal: `Agent::"<id>"` with `owner`, `model`, `model_owner`;
//! * action: `Action::"<plugin>.<tool>"`;
//! * resource: `Plugin::"<id>"` with `publisher`, `version`, `signer`;
//! * context: `task`, `tool`, `impact`, `action_owner`, `token_id`,
//!   `scopes` (what the token carries: its tools and step-up scopes),
//!   `approved` (whether a named human approved this exact call), `now`
//!   (Unix seconds), `hour` and `weekday` (UTC, Monday = 0), and `args`: the
//!   call's arguments, typed from the tool's input schema (strings, integers,
//!   booleans and lists of them; every attribute optional, so policies test
//!   `context.args has file` first).
//!
//! A decision is `allow`, `deny`, or `allow only with approval`: the call is
//! evaluated as not approved and, if denied, again as approved; when only
//! the second permits, a human's approval is what is missing. Every decision
//! carries the ids (`@id("…")`) of the policies that decided it. A forbid
//! policy annotated `@scope("…")` is lifted by a token carrying that scope
//! (step-up; see `step_up`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

mod cases;
mod evaluate;
mod replay;
mod request;
mod schema;
mod source;
mod step_up;

pub use cases::{CaseOutcome, PolicyCase, deciding, decision_name, describe, read_cases};
pub use replay::{
    ReplayChange, ReplayEngines, ReplayReport, engines_for as replay_engines, replay,
};
use schema::{arg_types, entities, schema_json};
use source::{first_line, first_message, policy_start_line};
use std::str::FromStr;
pub use step_up::is_scope_name;

use cedar_policy::{
    Authorizer, Entities, EntityTypeName, EntityUid, PolicyId, PolicySet, Schema, ValidationMode,
    Validator,
};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::config::{Agent, RuleFile};
use crate::registry::PolicyView;

/// Why the policies could not be loaded: a start-up error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A policy file could not be read.
    #[error("cannot read policy file {path}: {why}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        why: String,
    },
    /// A policy does not parse.
    #[error("policy file {path}, line {line}: {why}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// A policy does not type-check against the agents, plugins and tools of
    /// this host.
    #[error("policy file {path}, line {line} (policy {policy}): {why}")]
    Validate {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// The policy id.
        policy: String,
        /// What is wrong.
        why: String,
    },
    /// Two policies share an id.
    #[error("policy id {id} is used twice ({path})")]
    DuplicateId {
        /// The id.
        id: String,
        /// The file of the second use.
        path: PathBuf,
    },
    /// The generated schema or entities were refused (a host bug or an
    /// unusual id).
    #[error("policy setup: {0}")]
    Setup(String),
}

/// The outcome of evaluating the policies on one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyDecision {
    /// Permitted.
    Allow {
        /// The permitting policies.
        policies: Vec<String>,
    },
    /// Permitted only once a named human approves this exact call.
    NeedsApproval {
        /// The policies that hold the call until approved.
        policies: Vec<String>,
    },
    /// Denied.
    Deny {
        /// The forbidding policies (empty when none permits).
        policies: Vec<String>,
        /// In words.
        reason: String,
    },
}

/// Facts about an entity (agent or plugin) for policies.
#[derive(Debug, Clone)]
pub(crate) struct PolicyEntity {
    /// Its id.
    pub(crate) id: String,
    /// Its attributes (all strings).
    pub(crate) attrs: BTreeMap<String, String>,
}

/// What one call looks like to policy.
#[derive(Debug, Clone)]
pub struct PolicyInput<'a> {
    /// The agent.
    pub agent: &'a str,
    /// The plugin.
    pub plugin: &'a str,
    /// `plugin.tool`.
    pub tool: &'a str,
    /// The task.
    pub task: &'a str,
    /// Impact level.
    pub impact: &'a str,
    /// The tool's action owner.
    pub action_owner: &'a str,
    /// The token id.
    pub token_id: &'a str,
    /// The scopes the token carries: its tools and any step-up scopes
    /// (`context.scopes`).
    pub scopes: &'a [String],
    /// The call's arguments.
    pub args: &'a Value,
    /// The time of the call.
    pub now: DateTime<Utc>,
    /// What already happened in the task (empty unless a policy reads
    /// `context.history`).
    pub history: &'a crate::state::TaskHistory,
}

/// Loaded, validated policies and the entities they speak of.
#[derive(Debug)]
pub struct PolicyEngine {
    set: PolicySet,
    entities: Entities,
    authorizer: Authorizer,
    /// What every request of a configured agent and tool shares, dropped
    /// with the engine on a reload.
    prepared: request::Prepared,
    empty: bool,
    schema: Value,
    history: bool,
    /// The step-up scope of each `@scope`-annotated forbid policy, by id.
    step_up: BTreeMap<String, String>,
}

impl PolicyEngine {
    /// Load policy files, checking them against a schema generated from the
    /// host's agents, plugins and tools.
    ///
    /// # Errors
    ///
    /// [`PolicyError`] naming the file and line of the first bad policy.
    pub fn load(
        files: &[PathBuf],
        agents: &[Agent],
        view: &PolicyView,
    ) -> Result<Self, PolicyError> {
        let files: Vec<RuleFile> = files
            .iter()
            .map(|p| RuleFile {
                name: p.clone(),
                read_from: p.clone(),
            })
            .collect();
        Self::load_from(&files, agents, view)
    }

    /// [`PolicyEngine::load`] of files known by one path and read from
    /// another (a release's archived copy).
    ///
    /// # Errors
    ///
    /// [`PolicyError`] naming the file (by its name) and line of the first
    /// bad policy.
    pub fn load_from(
        files: &[RuleFile],
        agents: &[Agent],
        view: &PolicyView,
    ) -> Result<Self, PolicyError> {
        let configured = agents;
        let attrs = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let agents: Vec<PolicyEntity> = agents
            .iter()
            .map(|a| PolicyEntity {
                id: a.id.clone(),
                attrs: attrs(&[
                    ("owner", &a.owner),
                    ("model", &a.model),
                    ("model_owner", &a.model_owner),
                ]),
            })
            .collect();
        let plugins: Vec<PolicyEntity> = view
            .plugins
            .iter()
            .map(|p| PolicyEntity {
                id: p.id.clone(),
                attrs: attrs(&[
                    ("publisher", &p.publisher),
                    ("version", &p.version),
                    ("signer", &p.signer),
                ]),
            })
            .collect();
        let tools = &view.tools;
        let mut set = PolicySet::new();
        let mut origin: HashMap<String, (PathBuf, String, usize)> = HashMap::new();
        let mut history = false;
        for file in files {
            let path = &file.name;
            let text = std::fs::read_to_string(&file.read_from).map_err(|e| PolicyError::Read {
                path: path.clone(),
                why: e.to_string(),
            })?;
            history |= text.contains("context.history");
            let parsed = PolicySet::from_str(&text).map_err(|e| PolicyError::Parse {
                path: path.clone(),
                line: first_line(&e, &text),
                why: first_message(&e),
            })?;
            for (n, p) in parsed.policies().enumerate() {
                let id = p
                    .annotation("id")
                    .map_or_else(|| format!("{}#{}", file_stem(path), n + 1), str::to_owned);
                if origin.contains_key(&id) {
                    return Err(PolicyError::DuplicateId {
                        id,
                        path: path.clone(),
                    });
                }
                let line = policy_start_line(&text, n);
                origin.insert(id.clone(), (path.clone(), text.clone(), line));
                set.add(p.new_id(PolicyId::new(&id)))
                    .map_err(|e| PolicyError::Setup(e.to_string()))?;
            }
        }
        let mut args = HashMap::new();
        for t in tools {
            args.insert(t.qualified.clone(), arg_types(&t.input_schema));
        }
        let schema_value = schema_json(tools, &args);
        let schema = Schema::from_json_value(schema_value.clone())
            .map_err(|e| PolicyError::Setup(e.to_string()))?;
        let result = Validator::new(schema.clone()).validate(&set, ValidationMode::Strict);
        if let Some(e) = result.validation_errors().next() {
            let id = e.policy_id().to_string();
            let (path, text, start) = origin.get(&id).cloned().unwrap_or_default();
            let line = first_line(e, &text).max(start);
            return Err(PolicyError::Validate {
                path,
                line,
                policy: id,
                why: e.to_string(),
            });
        }
        let step_up = step_up::annotated(&set).map_err(|(id, why)| {
            let (path, _, line) = origin.get(&id).cloned().unwrap_or_default();
            PolicyError::Validate {
                path,
                line,
                policy: id,
                why,
            }
        })?;
        let entities = entities(&agents, &plugins, &schema)?;
        let prepared = request::Prepared::new(
            EntityTypes::new()?,
            configured,
            plugins.iter().map(|p| p.id.as_str()),
            tools,
            args,
        );
        Ok(Self {
            step_up,
            empty: set.is_empty(),
            set,
            entities,
            authorizer: Authorizer::new(),
            prepared,
            schema: schema_value,
            history,
        })
    }

    /// Whether a policy reads `context.history` (what already happened in
    /// the task), which the host then computes for every call.
    pub fn uses_history(&self) -> bool {
        self.history
    }

    /// The Cedar schema policies are validated against, in Cedar's schema
    /// syntax: the agents, plugins and tools of this host, with the typed
    /// arguments of each tool.
    ///
    /// # Errors
    ///
    /// When Cedar cannot print it (a host bug).
    pub fn schema_text(&self) -> Result<String, PolicyError> {
        let fragment = cedar_policy::SchemaFragment::from_json_value(self.schema.clone())
            .map_err(|e| PolicyError::Setup(e.to_string()))?;
        fragment
            .to_cedarschema()
            .map_err(|e| PolicyError::Setup(e.to_string()))
    }

    /// The policy ids loaded.
    pub fn policy_ids(&self) -> Vec<String> {
        self.set.policies().map(|p| p.id().to_string()).collect()
    }
}

/// The entity type names, parsed once.
#[derive(Debug)]
struct EntityTypes {
    agent: EntityTypeName,
    action: EntityTypeName,
    plugin: EntityTypeName,
}

impl EntityTypes {
    fn new() -> Result<Self, PolicyError> {
        let t =
            |n: &str| EntityTypeName::from_str(n).map_err(|e| PolicyError::Setup(e.to_string()));
        Ok(Self {
            agent: t("Agent")?,
            action: t("Action")?,
            plugin: t("Plugin")?,
        })
    }
}

pub(super) fn uid(kind: &str, id: &str) -> Result<EntityUid, String> {
    let escaped = id.replace('\\', "\\\\").replace('"', "\\\"");
    EntityUid::from_str(&format!("{kind}::\"{escaped}\""))
        .map_err(|e| format!("bad {kind} id {id:?}: {e}"))
}

fn file_stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod request_fixed_tests;
#[cfg(test)]
mod request_tests;
#[cfg(test)]
mod tests;
