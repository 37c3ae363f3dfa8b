//! The Cedar request of one call, built from values.
//!
//! What does not change between calls — the entity uids of every
//! configured agent, plugin and tool, each tool's name and argument types,
//! the empty scopes, arguments and history, and for every configured agent
//! and each configured tool its grant names the static part of the
//! request (principal, action, resource, and the context's `tool`,
//! `impact` and `action_owner`, the operator's override of the owner
//! included) — is prepared once, when the engine is built, and dropped
//! with it on a reload. Per call only the rest is built (task, token,
//! scopes, time, arguments, history), each straight from the parsed input,
//! and the approved variant of a denied call copies that context with one
//! entry changed. A call whose agent, plugin, tool, impact or owner is not
//! the prepared one (a made-up name, a replayed record) has its static
//! part built for it, and nothing is kept.
//!
//! Cedar's public API builds a context only from restricted expressions,
//! which it evaluates on every call (`Context::from_pairs`; `merge` is
//! `from_pairs` over both). The values are built here with
//! `cedar-policy-core`, the crate `cedar-policy` wraps, pinned to the same
//! exact version; the tests check every request against the one
//! `from_pairs` builds.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use cedar_policy::{EntityId, EntityTypeName, EntityUid, Request};
use cedar_policy_core::ast::{self, EntityUIDEntry, Value};
use chrono::{Datelike, Timelike};
use smol_str::SmolStr;

use super::schema::{ArgType, typed_args};
use super::{EntityTypes, PolicyInput};
use crate::config::Agent;
use crate::registry::PolicyTool;
use crate::state::TaskHistory;

/// A context's attributes.
type Attrs = BTreeMap<SmolStr, Value>;

/// The parts of every request that do not change between calls, for the
/// agents, plugins and tools the engine was built with: bounded by the
/// configuration, never grown by a call (a name not here is built per
/// call), and read without a lock.
#[derive(Debug)]
pub(super) struct Prepared {
    types: EntityTypes,
    agents: HashMap<String, EntityUIDEntry>,
    plugins: HashMap<String, EntityUIDEntry>,
    tools: HashMap<String, PreparedTool>,
    /// The static part of each configured agent's requests, by agent and
    /// then by each configured tool its grant names.
    fixed: HashMap<String, HashMap<String, PreparedPair>>,
    empty_set: Value,
    empty_record: Value,
    empty_history: Value,
}

/// One tool's prepared parts.
#[derive(Debug)]
struct PreparedTool {
    action: EntityUIDEntry,
    name: Value,
    args: Arc<BTreeMap<String, ArgType>>,
}

/// The static part of one configured agent's requests of one configured
/// tool, and what it was prepared for.
#[derive(Debug)]
struct PreparedPair {
    plugin: String,
    impact: String,
    action_owner: String,
    fixed: Fixed,
}

/// The part of a request that is the same for every call of one agent,
/// plugin and tool at one impact, with one action owner.
#[derive(Debug, Clone)]
struct Fixed {
    principal: EntityUIDEntry,
    action: EntityUIDEntry,
    resource: EntityUIDEntry,
    tool: Value,
    impact: Value,
    action_owner: Value,
    /// The tool's argument types (none for a tool not configured).
    args: Option<Arc<BTreeMap<String, ArgType>>>,
}

/// One call's request, built once per decision.
#[derive(Debug)]
pub(super) struct CallRequest {
    principal: EntityUIDEntry,
    action: EntityUIDEntry,
    resource: EntityUIDEntry,
    /// The context, with `approved` false.
    context: Arc<Attrs>,
}

impl Prepared {
    /// Prepare the uids of `agents`, `plugins` and `tools` (with each
    /// tool's argument types, `args`), and the static part of each agent's
    /// requests of each tool its grant names.
    pub(super) fn new<'a>(
        types: EntityTypes,
        agents: &[Agent],
        plugins: impl IntoIterator<Item = &'a str>,
        tools: &[PolicyTool],
        args: HashMap<String, BTreeMap<String, ArgType>>,
    ) -> Self {
        let ids = agents
            .iter()
            .map(|a| (a.id.clone(), entry(&types.agent, &a.id)))
            .collect();
        let plugins = plugins
            .into_iter()
            .map(|p| (p.to_owned(), entry(&types.plugin, p)))
            .collect();
        let prepared_tools = args
            .into_iter()
            .map(|(name, args)| {
                let tool = PreparedTool {
                    action: entry(&types.action, &name),
                    name: Value::from(name.as_str()),
                    args: Arc::new(args),
                };
                (name, tool)
            })
            .collect();
        let mut prepared = Self {
            types,
            agents: ids,
            plugins,
            tools: prepared_tools,
            fixed: HashMap::new(),
            empty_set: Value::empty_set(None),
            empty_record: Value::empty_record(None),
            empty_history: history(&TaskHistory::default()),
        };
        prepared.fixed = prepared.prepare(agents, tools);
        prepared
    }

    /// The static part of each agent's requests of each tool its grant
    /// names (of a plugin prepared).
    fn prepare(
        &self,
        agents: &[Agent],
        tools: &[PolicyTool],
    ) -> HashMap<String, HashMap<String, PreparedPair>> {
        let mut fixed: HashMap<String, HashMap<String, PreparedPair>> = HashMap::new();
        for agent in agents {
            let of_agent = fixed.entry(agent.id.clone()).or_default();
            for t in tools {
                let granted = agent
                    .tools
                    .iter()
                    .any(|p| crate::authz::tool_matches(p, &t.qualified));
                let Some((plugin, _)) = t.qualified.split_once('.') else {
                    continue;
                };
                if !granted || !self.plugins.contains_key(plugin) {
                    continue;
                }
                let (impact, owner) = (t.impact.as_str(), t.action_owner.as_str());
                of_agent.insert(
                    t.qualified.clone(),
                    PreparedPair {
                        plugin: plugin.to_owned(),
                        impact: impact.to_owned(),
                        action_owner: owner.to_owned(),
                        fixed: self.build(&agent.id, plugin, &t.qualified, impact, owner),
                    },
                );
            }
        }
        fixed
    }

    /// The static part of a request, built.
    fn build(&self, agent: &str, plugin: &str, tool: &str, impact: &str, owner: &str) -> Fixed {
        let known = |map: &HashMap<String, EntityUIDEntry>, kind: &EntityTypeName, id: &str| {
            map.get(id).cloned().unwrap_or_else(|| entry(kind, id))
        };
        let prepared = self.tools.get(tool);
        let (action, name) = match prepared {
            Some(t) => (t.action.clone(), t.name.clone()),
            None => (entry(&self.types.action, tool), Value::from(tool)),
        };
        Fixed {
            principal: known(&self.agents, &self.types.agent, agent),
            action,
            resource: known(&self.plugins, &self.types.plugin, plugin),
            tool: name,
            impact: Value::from(impact),
            action_owner: Value::from(owner),
            args: prepared.map(|t| Arc::clone(&t.args)),
        }
    }

    /// The prepared static part of `i`'s request, when `i` is a configured
    /// agent's call of a configured tool it is granted, at the tool's impact
    /// and with its action owner.
    fn prepared(&self, i: &PolicyInput<'_>) -> Option<&Fixed> {
        let p = self.fixed.get(i.agent)?.get(i.tool)?;
        (p.plugin == i.plugin && p.impact == i.impact && p.action_owner == i.action_owner)
            .then_some(&p.fixed)
    }

    /// The request of one call, not approved.
    pub(super) fn call(&self, i: &PolicyInput<'_>) -> CallRequest {
        match self.prepared(i) {
            Some(fixed) => self.with(fixed.clone(), i),
            None => self.uncached(i),
        }
    }

    /// The request of one call, its static part built for it.
    fn uncached(&self, i: &PolicyInput<'_>) -> CallRequest {
        let fixed = self.build(i.agent, i.plugin, i.tool, i.impact, i.action_owner);
        self.with(fixed, i)
    }

    /// The request of one call: its static part and what changes.
    fn with(&self, fixed: Fixed, i: &PolicyInput<'_>) -> CallRequest {
        let args = match &fixed.args {
            Some(types) if !types.is_empty() => typed_args(i.args, types),
            _ => self.empty_record.clone(),
        };
        let scopes = if i.scopes.is_empty() {
            self.empty_set.clone()
        } else {
            Value::set(i.scopes.iter().map(|s| Value::from(s.as_str())), None)
        };
        let history = if *i.history == TaskHistory::default() {
            self.empty_history.clone()
        } else {
            history(i.history)
        };
        let long = |n: i64| Value::from(n);
        let context: Attrs = [
            ("task", Value::from(i.task)),
            ("tool", fixed.tool),
            ("impact", fixed.impact),
            ("action_owner", fixed.action_owner),
            ("token_id", Value::from(i.token_id)),
            ("scopes", scopes),
            ("approved", Value::from(false)),
            ("now", long(i.now.timestamp())),
            ("hour", long(i64::from(i.now.hour()))),
            (
                "weekday",
                long(i64::from(i.now.weekday().num_days_from_monday())),
            ),
            ("args", args),
            ("history", history),
        ]
        .into_iter()
        .map(|(k, v)| (SmolStr::new_static(k), v))
        .collect();
        CallRequest {
            principal: fixed.principal,
            action: fixed.action,
            resource: fixed.resource,
            context: Arc::new(context),
        }
    }
}

#[cfg(test)]
impl Prepared {
    /// How many agents, plugins and tools are prepared.
    pub(super) fn sizes(&self) -> (usize, usize, usize) {
        (self.agents.len(), self.plugins.len(), self.tools.len())
    }

    /// A prepared tool's argument types.
    pub(super) fn arg_types(&self, tool: &str) -> Option<&BTreeMap<String, ArgType>> {
        self.tools.get(tool).map(|t| &*t.args)
    }

    /// The agents and tools whose requests' static part is prepared.
    pub(super) fn prepared_pairs(&self) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = self
            .fixed
            .iter()
            .flat_map(|(a, tools)| tools.keys().map(|t| (a.clone(), t.clone())))
            .collect();
        pairs.sort();
        pairs
    }

    /// Whether `i`'s request uses a prepared static part.
    pub(super) fn is_prepared(&self, i: &PolicyInput<'_>) -> bool {
        self.prepared(i).is_some()
    }

    /// `i`'s request with its static part built for it, as for a call not
    /// prepared.
    pub(super) fn call_uncached(&self, i: &PolicyInput<'_>) -> CallRequest {
        self.uncached(i)
    }
}

impl CallRequest {
    /// The Cedar request, as approved or not: the approved one copies the
    /// context (its values are shared, not rebuilt) with `approved` true.
    pub(super) fn request(&self, approved: bool) -> Request {
        let context = if approved {
            let mut attrs = Attrs::clone(&self.context);
            attrs.insert(SmolStr::new_static("approved"), Value::from(true));
            Arc::new(attrs)
        } else {
            Arc::clone(&self.context)
        };
        // No schema check, as with `Request::new(.., None)` before: the
        // context has the schema's shape by construction.
        Request::from(ast::Request::new_unchecked(
            self.principal.clone(),
            self.action.clone(),
            self.resource.clone(),
            Some(ast::Context::Value(context)),
        ))
    }
}

/// An entity uid, built directly (no Cedar parsing).
fn entry(kind: &EntityTypeName, id: &str) -> EntityUIDEntry {
    let uid = EntityUid::from_type_name_and_id(kind.clone(), EntityId::new(id));
    EntityUIDEntry::known(uid.into(), None)
}

/// `context.history`: what already happened in the task.
fn history(h: &TaskHistory) -> Value {
    let set = |names: &std::collections::BTreeSet<String>| {
        Value::set(names.iter().map(|n| Value::from(n.as_str())), None)
    };
    let long = |n: u64| Value::from(i64::try_from(n).unwrap_or(i64::MAX));
    Value::record(
        [
            ("tools", set(&h.tools)),
            ("succeeded", set(&h.succeeded)),
            ("calls", long(h.calls)),
            ("high_impact_calls", long(h.high_impact_calls)),
        ],
        None,
    )
}
