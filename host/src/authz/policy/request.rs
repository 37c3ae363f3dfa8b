//! The Cedar request of one call, built from values.
//!
//! What does not change between calls — the entity uids of every
//! configured agent, plugin and tool, each tool's name and argument types,
//! the empty scopes, arguments and history — is prepared once, when the
//! engine is built, and dropped with it on a reload. Per call only the
//! rest is built (task, token, scopes, impact, action owner, time,
//! arguments, history), each straight from the parsed input, and the
//! approved variant of a denied call copies that context with one entry
//! changed.
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
    empty_set: Value,
    empty_record: Value,
    empty_history: Value,
}

/// One tool's prepared parts.
#[derive(Debug)]
struct PreparedTool {
    action: EntityUIDEntry,
    name: Value,
    args: BTreeMap<String, ArgType>,
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
    /// tool's argument types).
    pub(super) fn new<'a>(
        types: EntityTypes,
        agents: impl IntoIterator<Item = &'a str>,
        plugins: impl IntoIterator<Item = &'a str>,
        tools: HashMap<String, BTreeMap<String, ArgType>>,
    ) -> Self {
        let agents = agents
            .into_iter()
            .map(|a| (a.to_owned(), entry(&types.agent, a)))
            .collect();
        let plugins = plugins
            .into_iter()
            .map(|p| (p.to_owned(), entry(&types.plugin, p)))
            .collect();
        let tools = tools
            .into_iter()
            .map(|(name, args)| {
                let tool = PreparedTool {
                    action: entry(&types.action, &name),
                    name: Value::from(name.as_str()),
                    args,
                };
                (name, tool)
            })
            .collect();
        Self {
            types,
            agents,
            plugins,
            tools,
            empty_set: Value::empty_set(None),
            empty_record: Value::empty_record(None),
            empty_history: history(&TaskHistory::default()),
        }
    }

    /// The request of one call, not approved.
    pub(super) fn call(&self, i: &PolicyInput<'_>) -> CallRequest {
        let known = |map: &HashMap<String, EntityUIDEntry>, kind: &EntityTypeName, id: &str| {
            map.get(id).cloned().unwrap_or_else(|| entry(kind, id))
        };
        let principal = known(&self.agents, &self.types.agent, i.agent);
        let resource = known(&self.plugins, &self.types.plugin, i.plugin);
        let tool = self.tools.get(i.tool);
        let (action, name) = match tool {
            Some(t) => (t.action.clone(), t.name.clone()),
            None => (entry(&self.types.action, i.tool), Value::from(i.tool)),
        };
        let args = match tool {
            Some(t) if !t.args.is_empty() => typed_args(i.args, &t.args),
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
            ("tool", name),
            ("impact", Value::from(i.impact)),
            ("action_owner", Value::from(i.action_owner)),
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
            principal,
            action,
            resource,
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
        self.tools.get(tool).map(|t| &t.args)
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
