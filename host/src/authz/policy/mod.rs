//! Policy as code with Cedar, evaluated on the actual call.
//!
//! * principal: `Agent::"<id>"` with `owner`, `model`, `model_owner`;
//! * action: `Action::"<plugin>.<tool>"`;
//! * resource: `Plugin::"<id>"` with `publisher`, `version`, `signer`;
//! * context: `task`, `tool`, `impact`, `action_owner`, `token_id`,
//!   `approved` (whether a named human approved this exact call), `now`
//!   (Unix seconds), `hour` and `weekday` (UTC, Monday = 0), and `args`: the
//!   call's arguments, typed from the tool's input schema (strings, integers,
//!   booleans and lists of them; every attribute optional, so policies test
//!   `context.args has file` first).
//!
//! A decision is `allow`, `deny`, or `allow only with approval`: the call is
//! evaluated as not approved and, if denied, again as approved; when only
//! the second permits, a human's approval is what is missing. Every decision
//! carries the ids (`@id("…")`) of the policies that decided it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

mod schema;
mod source;

use schema::{ArgType, arg_types, entities, schema_json, typed_args};
use source::{first_line, first_message, policy_start_line};
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityId, EntityTypeName, EntityUid, PolicyId,
    PolicySet, Request, RestrictedExpression, Schema, ValidationMode, Validator,
};
use chrono::{DateTime, Datelike, Timelike, Utc};
use serde_json::Value;

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

/// One tool as policy sees it.
#[derive(Debug, Clone)]
pub struct PolicyTool {
    /// `plugin.tool`.
    pub qualified: String,
    /// The tool's input JSON Schema (text).
    pub input_schema: String,
}

/// Facts about an entity (agent or plugin) for policies.
#[derive(Debug, Clone)]
pub struct PolicyEntity {
    /// Its id.
    pub id: String,
    /// Its attributes (all strings).
    pub attrs: BTreeMap<String, String>,
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
    /// The call's arguments.
    pub args: &'a Value,
    /// The time of the call.
    pub now: DateTime<Utc>,
}

/// Loaded, validated policies and the entities they speak of.
#[derive(Debug)]
pub struct PolicyEngine {
    types: EntityTypes,
    set: PolicySet,
    entities: Entities,
    authorizer: Authorizer,
    args: HashMap<String, BTreeMap<String, ArgType>>,
    empty: bool,
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
        agents: &[PolicyEntity],
        plugins: &[PolicyEntity],
        tools: &[PolicyTool],
    ) -> Result<Self, PolicyError> {
        let mut set = PolicySet::new();
        let mut origin: HashMap<String, (PathBuf, String, usize)> = HashMap::new();
        for path in files {
            let text = std::fs::read_to_string(path).map_err(|e| PolicyError::Read {
                path: path.clone(),
                why: e.to_string(),
            })?;
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
        let schema = Schema::from_json_value(schema_json(tools, &args))
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
        let entities = entities(agents, plugins, &schema)?;
        Ok(Self {
            types: EntityTypes::new()?,
            empty: set.is_empty(),
            set,
            entities,
            authorizer: Authorizer::new(),
            args,
        })
    }

    /// The policy ids loaded.
    pub fn policy_ids(&self) -> Vec<String> {
        self.set.policies().map(|p| p.id().to_string()).collect()
    }

    /// Decide one call.
    pub fn decide(&self, input: &PolicyInput<'_>) -> PolicyDecision {
        if self.empty {
            return PolicyDecision::Deny {
                policies: Vec::new(),
                reason: "no policy permits it: the host has no policy files, and everything not permitted is denied".into(),
            };
        }
        let first = match self.evaluate(input, false) {
            Ok(r) => r,
            Err(why) => {
                return PolicyDecision::Deny {
                    policies: Vec::new(),
                    reason: why,
                };
            }
        };
        if first.0 == Decision::Allow {
            return PolicyDecision::Allow { policies: first.1 };
        }
        match self.evaluate(input, true) {
            Ok((Decision::Allow, _)) if !first.1.is_empty() => {
                PolicyDecision::NeedsApproval { policies: first.1 }
            }
            _ => PolicyDecision::Deny {
                reason: if first.1.is_empty() {
                    "no policy permits it".into()
                } else {
                    "a forbid policy matched this call".into()
                },
                policies: first.1,
            },
        }
    }

    fn evaluate(
        &self,
        i: &PolicyInput<'_>,
        approved: bool,
    ) -> Result<(Decision, Vec<String>), String> {
        // Entity ids are built directly (no Cedar parsing per call) and the
        // context from typed values (no JSON round trip); both match the
        // schema the policies were validated against at start.
        let principal = fast_uid(&self.types.agent, i.agent);
        let action = fast_uid(&self.types.action, i.tool);
        let resource = fast_uid(&self.types.plugin, i.plugin);
        let string = |v: &str| RestrictedExpression::new_string(v.to_owned());
        let long = |v: i64| RestrictedExpression::new_long(v);
        let args = match self.args.get(i.tool) {
            Some(types) => typed_args(i.args, types)?,
            None => RestrictedExpression::new_record(Vec::new()).map_err(|e| e.to_string())?,
        };
        let pairs = vec![
            ("task".to_owned(), string(i.task)),
            ("tool".to_owned(), string(i.tool)),
            ("impact".to_owned(), string(i.impact)),
            ("action_owner".to_owned(), string(i.action_owner)),
            ("token_id".to_owned(), string(i.token_id)),
            (
                "approved".to_owned(),
                RestrictedExpression::new_bool(approved),
            ),
            ("now".to_owned(), long(i.now.timestamp())),
            ("hour".to_owned(), long(i64::from(i.now.hour()))),
            (
                "weekday".to_owned(),
                long(i64::from(i.now.weekday().num_days_from_monday())),
            ),
            ("args".to_owned(), args),
        ];
        let context = Context::from_pairs(pairs).map_err(|e| format!("the call's context: {e}"))?;
        let request = Request::new(principal, action, resource, context, None)
            .map_err(|e| format!("the call does not fit the policy schema: {e}"))?;
        let response = self
            .authorizer
            .is_authorized(&request, &self.set, &self.entities);
        if let Some(err) = response.diagnostics().errors().next() {
            tracing::warn!("policy evaluation error: {err}");
        }
        let mut ids: Vec<String> = response
            .diagnostics()
            .reason()
            .map(ToString::to_string)
            .collect();
        ids.sort();
        Ok((response.decision(), ids))
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

fn fast_uid(kind: &EntityTypeName, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(kind.clone(), EntityId::new(id))
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
mod tests {
    use super::*;
    use serde_json::json;

    fn engine(policy: &str) -> Result<PolicyEngine, PolicyError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.cedar");
        std::fs::write(&path, policy).unwrap();
        let agent = PolicyEntity {
            id: "bot".into(),
            attrs: [
                ("owner", "alice"),
                ("model", "m"),
                ("model_owner", "vendor"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        };
        let plugin = PolicyEntity {
            id: "case-note".into(),
            attrs: [("publisher", "p"), ("version", "1.0.0"), ("signer", "k")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let tools = [PolicyTool { qualified: "case-note.append".into(), input_schema: r#"{"type":"object","properties":{"case_id":{"type":"string"},"n":{"type":["integer","null"]}}}"#.into() }];
        PolicyEngine::load(&[path], &[agent], &[plugin], &tools)
    }

    fn input<'a>(task: &'a str, args: &'a Value) -> PolicyInput<'a> {
        PolicyInput {
            agent: "bot",
            plugin: "case-note",
            tool: "case-note.append",
            task,
            impact: "high",
            action_owner: "soc",
            token_id: "t",
            args,
            now: Utc::now(),
        }
    }

    const SOC: &str = r#"
@id("permit-all")
permit (principal, action, resource);

@id("high-needs-approval")
forbid (principal, action, resource) when { context.impact == "high" } unless { context.approved };

@id("incidents-only")
forbid (principal, action == Action::"case-note.append", resource) unless { context.task like "INC-*" };

@id("no-case-x")
forbid (principal, action, resource) when { context.args has case_id && context.args.case_id == "X" };
"#;

    #[test]
    fn three_outcomes_with_ids() {
        let e = engine(SOC).unwrap();
        let args = json!({"case_id": "INC-1"});
        assert_eq!(
            e.decide(&input("INC-2026-1", &args)),
            PolicyDecision::NeedsApproval {
                policies: vec!["high-needs-approval".into()]
            }
        );
        match e.decide(&input("chore-7", &args)) {
            PolicyDecision::Deny { policies, .. } => {
                assert!(policies.contains(&"incidents-only".to_string()))
            }
            other => panic!("{other:?}"),
        }
        let x = json!({"case_id": "X"});
        match e.decide(&input("INC-1", &x)) {
            PolicyDecision::Deny { policies, .. } => {
                assert!(policies.contains(&"no-case-x".to_string()))
            }
            other => panic!("{other:?}"),
        }
        let e2 = engine("@id(\"p\") permit (principal, action, resource);").unwrap();
        assert_eq!(
            e2.decide(&input("t", &args)),
            PolicyDecision::Allow {
                policies: vec!["p".into()]
            }
        );
    }

    #[test]
    fn nothing_permitted_is_denied() {
        let e = engine("").unwrap();
        assert!(matches!(
            e.decide(&input("t", &json!({}))),
            PolicyDecision::Deny { .. }
        ));
        let e = engine("@id(\"only-other\") permit (principal == Agent::\"bot\", action, resource) when { context.task == \"x\" };").unwrap();
        assert!(
            matches!(e.decide(&input("t", &json!({}))), PolicyDecision::Deny { policies, .. } if policies.is_empty())
        );
    }

    #[test]
    fn start_up_errors_name_the_line() {
        let err = engine("@id(\"a\")\npermit (principal, action, resource);\n\nforbid (principal, action, resource)\n  when { context.nope == 1 };\n").unwrap_err();
        match err {
            PolicyError::Validate { line, .. } => assert!(line >= 4, "{line}"),
            other => panic!("{other}"),
        }
        let err = engine("permit (principal, action, resource);\npermit (principal action);")
            .unwrap_err();
        assert!(matches!(err, PolicyError::Parse { line: 2, .. }), "{err}");
        let err =
            engine("permit (principal, action == Action::\"nope.x\", resource);").unwrap_err();
        assert!(matches!(err, PolicyError::Validate { .. }), "{err}");
    }
}
