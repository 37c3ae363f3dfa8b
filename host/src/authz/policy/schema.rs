//! The Cedar schema generated from the host's agents, plugins and tools, and
//! the typing of a call's arguments for policies.

use std::collections::{BTreeMap, HashMap, HashSet};

use cedar_policy::{Entities, Entity, RestrictedExpression, Schema};
use cedar_policy_core::ast::Value as CedarValue;
use serde_json::{Value, json};

use super::{PolicyEntity, PolicyError, uid};
use crate::registry::PolicyTool;

/// The types of a tool's arguments that policies can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ArgType {
    String,
    Long,
    Bool,
    SetString,
    SetLong,
}

/// Map a JSON Schema's top-level properties to types policy can use.
pub(super) fn arg_types(schema: &str) -> BTreeMap<String, ArgType> {
    let mut out = BTreeMap::new();
    let Ok(v) = serde_json::from_str::<Value>(schema) else {
        return out;
    };
    let Some(props) = v.get("properties").and_then(Value::as_object) else {
        return out;
    };
    for (name, p) in props {
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            || name.starts_with(|c: char| c.is_ascii_digit())
        {
            continue;
        }
        let t = match json_type(p) {
            Some("string") => Some(ArgType::String),
            Some("integer") => Some(ArgType::Long),
            Some("boolean") => Some(ArgType::Bool),
            Some("array") => match p.get("items").and_then(json_type) {
                Some("string") => Some(ArgType::SetString),
                Some("integer") => Some(ArgType::SetLong),
                _ => None,
            },
            _ => None,
        };
        if let Some(t) = t {
            out.insert(name.clone(), t);
        }
    }
    out
}

fn json_type(p: &Value) -> Option<&str> {
    match p.get("type") {
        Some(Value::String(s)) => Some(s.as_str()),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

/// The arguments that have a policy type and a value of that type, as a
/// Cedar record value, converted straight from the parsed input.
pub(super) fn typed_args(args: &Value, types: &BTreeMap<String, ArgType>) -> CedarValue {
    let string = |x: &Value| x.as_str().map(CedarValue::from);
    let long = |x: &Value| x.as_i64().map(CedarValue::from);
    let set = |v: &Value, each: &dyn Fn(&Value) -> Option<CedarValue>| {
        v.as_array()
            .and_then(|a| a.iter().map(each).collect::<Option<Vec<_>>>())
            .map(|items| CedarValue::set(items, None))
    };
    let mut fields = Vec::new();
    if let Some(obj) = args.as_object() {
        for (name, ty) in types {
            let Some(v) = obj.get(name) else { continue };
            let value = match ty {
                ArgType::String => string(v),
                ArgType::Long => long(v),
                ArgType::Bool => v.as_bool().map(CedarValue::from),
                ArgType::SetString => set(v, &string),
                ArgType::SetLong => set(v, &long),
            };
            if let Some(value) = value {
                fields.push((name.as_str(), value));
            }
        }
    }
    CedarValue::record(fields, None)
}

pub(super) fn schema_json(
    tools: &[PolicyTool],
    args: &HashMap<String, BTreeMap<String, ArgType>>,
) -> Value {
    let s = |t: &str| json!({"type": t});
    let mut actions = serde_json::Map::new();
    for t in tools {
        let mut arg_attrs = serde_json::Map::new();
        for (name, ty) in args.get(&t.qualified).into_iter().flatten() {
            let mut v = match ty {
                ArgType::String => s("String"),
                ArgType::Long => s("Long"),
                ArgType::Bool => s("Boolean"),
                ArgType::SetString => json!({"type": "Set", "element": {"type": "String"}}),
                ArgType::SetLong => json!({"type": "Set", "element": {"type": "Long"}}),
            };
            v["required"] = json!(false);
            arg_attrs.insert(name.clone(), v);
        }
        actions.insert(
            t.qualified.clone(),
            json!({
                "appliesTo": {
                    "principalTypes": ["Agent"],
                    "resourceTypes": ["Plugin"],
                    "context": {"type": "Record", "attributes": {
                        "task": s("String"), "tool": s("String"), "impact": s("String"),
                        "action_owner": s("String"), "token_id": s("String"),
                        "scopes": {"type": "Set", "element": s("String")},
                        "approved": s("Boolean"), "now": s("Long"), "hour": s("Long"), "weekday": s("Long"),
                        "args": {"type": "Record", "attributes": arg_attrs},
                        "history": {"type": "Record", "attributes": {
                            "tools": {"type": "Set", "element": s("String")},
                            "succeeded": {"type": "Set", "element": s("String")},
                            "calls": s("Long"), "high_impact_calls": s("Long")
                        }}
                    }}
                }
            }),
        );
    }
    json!({"": {
        "entityTypes": {
            "Agent": {"shape": {"type": "Record", "attributes": {
                "owner": s("String"), "model": s("String"), "model_owner": s("String")}}},
            "Plugin": {"shape": {"type": "Record", "attributes": {
                "publisher": s("String"), "version": s("String"), "signer": s("String")}}}
        },
        "actions": actions
    }})
}

pub(super) fn entities(
    agents: &[PolicyEntity],
    plugins: &[PolicyEntity],
    schema: &Schema,
) -> Result<Entities, PolicyError> {
    let mut all = Vec::new();
    for (kind, list) in [("Agent", agents), ("Plugin", plugins)] {
        for e in list {
            let attrs: HashMap<String, RestrictedExpression> = e
                .attrs
                .iter()
                .map(|(k, v)| (k.clone(), RestrictedExpression::new_string(v.clone())))
                .collect();
            let id = uid(kind, &e.id).map_err(PolicyError::Setup)?;
            all.push(
                Entity::new(id, attrs, HashSet::new())
                    .map_err(|e| PolicyError::Setup(e.to_string()))?,
            );
        }
    }
    Entities::from_entities(all, Some(schema)).map_err(|e| PolicyError::Setup(e.to_string()))
}
