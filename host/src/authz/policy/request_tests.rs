//! The request built from prepared parts and values is the one Cedar's
//! public API builds from expressions, approved or not, for configured and
//! made-up names alike; the prepared parts belong to one engine.

use cedar_policy::{Context, EntityId, EntityTypeName, EntityUid, Request, RestrictedExpression};
use chrono::{Datelike, Timelike};
use serde_json::json;

use super::*;
use crate::registry::{PolicyPlugin, PolicyTool};
use crate::state::TaskHistory;

const TYPED: &str = r#"{"type":"object","properties":{
    "s":{"type":"string"}, "n":{"type":["integer","null"]}, "b":{"type":"boolean"},
    "l":{"type":"array","items":{"type":"string"}}, "ln":{"type":"array","items":{"type":"integer"}}}}"#;

fn engine(policy: &str) -> PolicyEngine {
    let tool = |name: &str, schema: &str| PolicyTool {
        qualified: format!("x.{name}"),
        input_schema: schema.into(),
        impact: crate::vocab::Impact::High,
        action_owner: "an-action-owner-longer-than-23-bytes".into(),
    };
    // Granted every tool: the static parts of its requests are prepared.
    let agent = Agent {
        tools: vec!["x.*".into()],
        ..super::tests::bot()
    };
    engine_with(
        policy,
        &[agent],
        vec![tool("typed", TYPED), tool("plain", "{}")],
    )
}

pub(super) fn engine_with(policy: &str, agents: &[Agent], tools: Vec<PolicyTool>) -> PolicyEngine {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.cedar");
    std::fs::write(&path, policy).unwrap();
    let view = PolicyView {
        plugins: vec![PolicyPlugin {
            id: "x".into(),
            publisher: "p".into(),
            version: "1.0.0".into(),
            signer: "k".into(),
            rate: None,
        }],
        tools,
    };
    PolicyEngine::load(&[path], agents, &view).unwrap()
}

/// The request as Cedar's public API builds it: every entry a restricted
/// expression, the context evaluated by `Context::from_pairs` (what the
/// engine did on every call before the prepared parts).
pub(super) fn reference(e: &PolicyEngine, i: &PolicyInput<'_>, approved: bool) -> Request {
    let uid = |kind: &str, id: &str| {
        EntityUid::from_type_name_and_id(EntityTypeName::from_str(kind).unwrap(), EntityId::new(id))
    };
    let string = |v: &str| RestrictedExpression::new_string(v.to_owned());
    let long = RestrictedExpression::new_long;
    let set = |v: &[String]| RestrictedExpression::new_set(v.iter().map(|s| string(s)));
    let types = e.prepared.arg_types(i.tool);
    let mut args = Vec::new();
    for (name, ty) in types.into_iter().flatten() {
        let v = &i.args[name.as_str()];
        let value = match ty {
            schema::ArgType::String => v.as_str().map(string),
            schema::ArgType::Long => v.as_i64().map(long),
            schema::ArgType::Bool => v.as_bool().map(RestrictedExpression::new_bool),
            schema::ArgType::SetString => v
                .as_array()
                .and_then(|a| {
                    a.iter()
                        .map(|x| x.as_str().map(string))
                        .collect::<Option<Vec<_>>>()
                })
                .map(RestrictedExpression::new_set),
            schema::ArgType::SetLong => v
                .as_array()
                .and_then(|a| {
                    a.iter()
                        .map(|x| x.as_i64().map(long))
                        .collect::<Option<Vec<_>>>()
                })
                .map(RestrictedExpression::new_set),
        };
        args.extend(value.map(|v| (name.clone(), v)));
    }
    let h = i.history;
    let names =
        |s: &std::collections::BTreeSet<String>| set(&s.iter().cloned().collect::<Vec<_>>());
    let history = RestrictedExpression::new_record([
        ("tools".to_owned(), names(&h.tools)),
        ("succeeded".to_owned(), names(&h.succeeded)),
        (
            "calls".to_owned(),
            long(i64::try_from(h.calls).unwrap_or(i64::MAX)),
        ),
        (
            "high_impact_calls".to_owned(),
            long(i64::try_from(h.high_impact_calls).unwrap_or(i64::MAX)),
        ),
    ])
    .unwrap();
    let pairs = [
        ("task", string(i.task)),
        ("tool", string(i.tool)),
        ("impact", string(i.impact)),
        ("action_owner", string(i.action_owner)),
        ("token_id", string(i.token_id)),
        ("scopes", set(i.scopes)),
        ("approved", RestrictedExpression::new_bool(approved)),
        ("now", long(i.now.timestamp())),
        ("hour", long(i64::from(i.now.hour()))),
        (
            "weekday",
            long(i64::from(i.now.weekday().num_days_from_monday())),
        ),
        ("args", RestrictedExpression::new_record(args).unwrap()),
        ("history", history),
    ];
    let context = Context::from_pairs(pairs.map(|(k, v)| (k.to_owned(), v))).unwrap();
    Request::new(
        uid("Agent", i.agent),
        uid("Action", i.tool),
        uid("Plugin", i.plugin),
        context,
        None,
    )
    .unwrap()
}

pub(super) fn call<'a>(
    tool: &'a str,
    args: &'a Value,
    history: &'a TaskHistory,
) -> PolicyInput<'a> {
    PolicyInput {
        agent: "bot",
        plugin: "x",
        tool,
        task: "INC-1",
        impact: "high",
        action_owner: "an-action-owner-longer-than-23-bytes",
        token_id: "t",
        scopes: &[],
        args,
        now: Utc::now(),
        history,
    }
}

#[test]
fn request_is_the_one_cedar_builds_from_expressions() {
    let e = engine("@id(\"p\") permit (principal, action, resource);");
    let busy = TaskHistory {
        tools: ["x.typed".to_owned(), "y.z".to_owned()].into(),
        succeeded: ["x.typed".to_owned()].into(),
        calls: 3,
        high_impact_calls: u64::MAX,
    };
    let empty = TaskHistory::default();
    let scopes = ["x.*".to_owned(), "external-case".to_owned()];
    let args = [
        json!({"s": "a", "n": 7, "b": true, "l": ["p", "q", "p"], "ln": [3, 1], "extra": 1}),
        json!({"s": 1, "n": "7", "b": null, "l": ["p", 2], "ln": [1.5]}),
        json!({"n": -9_223_372_036_854_775_808_i64, "l": []}),
        json!(["not", "an", "object"]),
        json!({}),
    ];
    // The comparison sees the context: approval alone makes a difference.
    let (a, h) = (&args[0], &empty);
    assert_ne!(
        e.request(&call("x.typed", a, h), true),
        reference(&e, &call("x.typed", a, h), false)
    );
    for a in &args {
        for history in [&empty, &busy] {
            let base = call("x.typed", a, history);
            let inputs = [
                base.clone(),
                PolicyInput {
                    scopes: &scopes,
                    ..base.clone()
                },
                PolicyInput {
                    tool: "x.plain",
                    ..base.clone()
                },
                PolicyInput {
                    agent: "made-up",
                    ..base.clone()
                },
                PolicyInput {
                    plugin: "made-up",
                    ..base.clone()
                },
                PolicyInput {
                    tool: "made.up",
                    ..base.clone()
                },
                PolicyInput {
                    task: "a task id longer than twenty-three bytes",
                    ..base.clone()
                },
            ];
            for i in &inputs {
                for approved in [false, true] {
                    assert_eq!(
                        e.request(i, approved),
                        reference(&e, i, approved),
                        "{i:?} {approved}"
                    );
                }
            }
        }
    }
}

/// The decision from the reference requests, as `decide` made it before.
fn reference_decision(e: &PolicyEngine, i: &PolicyInput<'_>) -> PolicyDecision {
    let first = e.evaluate_request(&reference(e, i, false));
    if first.0 == cedar_policy::Decision::Allow {
        return PolicyDecision::Allow { policies: first.1 };
    }
    match e.evaluate_request(&reference(e, i, true)) {
        (cedar_policy::Decision::Allow, _) if !first.1.is_empty() => {
            PolicyDecision::NeedsApproval { policies: first.1 }
        }
        _ => PolicyDecision::Deny {
            reason: if first.1.is_empty() {
                "no policy permits it"
            } else {
                "a forbid policy matched this call"
            }
            .into(),
            policies: first.1,
        },
    }
}

const RULES: &str = r#"
@id("bot-only") permit (principal == Agent::"bot", action, resource);
@id("high-needs-approval") forbid (principal, action, resource) when { context.impact == "high" } unless { context.approved };
@id("no-q") forbid (principal, action == Action::"x.typed", resource) when { context.args has l && context.args.l.contains("q") };
@id("twice") forbid (principal, action, resource) when { context.history.calls > 2 } unless { context.approved };
"#;

#[test]
fn decisions_and_the_approved_variant_match_the_old_requests() {
    let e = engine(RULES);
    let busy = TaskHistory {
        calls: 3,
        ..TaskHistory::default()
    };
    let empty = TaskHistory::default();
    let (plain, q) = (json!({"l": ["p"]}), json!({"l": ["q"]}));
    let mut seen = std::collections::BTreeSet::new();
    for args in [&plain, &q] {
        for history in [&empty, &busy] {
            for impact in ["high", "read"] {
                for agent in ["bot", "made-up"] {
                    for tool in ["x.typed", "x.plain", "made.up"] {
                        let i = PolicyInput {
                            impact,
                            agent,
                            tool,
                            ..call("x.typed", args, history)
                        };
                        let d = e.decide(&i);
                        assert_eq!(d, reference_decision(&e, &i), "{i:?}");
                        seen.insert(format!("{:?}", std::mem::discriminant(&d)));
                    }
                }
            }
        }
    }
    assert_eq!(
        seen.len(),
        3,
        "allow, needs approval and deny all exercised"
    );
}

#[test]
fn a_reloaded_engine_decides_with_its_own_policies() {
    let args = json!({});
    let history = TaskHistory::default();
    let i = call("x.plain", &args, &history);
    let before = engine("@id(\"p\") permit (principal, action, resource);");
    assert!(matches!(before.decide(&i), PolicyDecision::Allow { .. }));
    let after = engine(
        "@id(\"p\") permit (principal, action, resource);\n\
         @id(\"f\") forbid (principal, action == Action::\"x.plain\", resource);",
    );
    assert_eq!(
        after.decide(&i),
        PolicyDecision::Deny {
            policies: vec!["f".into()],
            reason: "a forbid policy matched this call".into()
        }
    );
    assert!(matches!(before.decide(&i), PolicyDecision::Allow { .. }));
}

#[test]
fn made_up_names_are_decided_but_never_prepared() {
    let e = engine("@id(\"bot-only\") permit (principal == Agent::\"bot\", action, resource);");
    let prepared = e.prepared.sizes();
    assert_eq!(prepared, (1, 1, 2), "one agent, one plugin, two tools");
    let args = json!({});
    let history = TaskHistory::default();
    for n in 0..1000 {
        let (agent, tool) = (format!("ghost-{n}"), format!("x.ghost-{n}"));
        let i = PolicyInput {
            agent: &agent,
            tool: &tool,
            ..call("x.plain", &args, &history)
        };
        assert!(
            matches!(e.decide(&i), PolicyDecision::Deny { ref policies, .. } if policies.is_empty())
        );
        let i = PolicyInput {
            tool: &tool,
            ..call("x.plain", &args, &history)
        };
        assert!(matches!(e.decide(&i), PolicyDecision::Allow { .. }));
    }
    assert_eq!(e.prepared.sizes(), prepared);
}
