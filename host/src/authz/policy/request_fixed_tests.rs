//! The static part of a request prepared for each configured agent and
//! each configured tool its grant names is the one built per call; a name,
//! impact or action owner not prepared is built for its call; a reloaded
//! engine prepares its own (the operator's override of an action owner
//! included).

use serde_json::json;

use super::request_tests::{call, engine_with, reference};
use super::*;
use crate::registry::PolicyTool;
use crate::state::TaskHistory;
use crate::vocab::Impact;

fn tool(name: &str, impact: Impact, owner: &str) -> PolicyTool {
    PolicyTool {
        qualified: format!("x.{name}"),
        input_schema: r#"{"type":"object","properties":{"s":{"type":"string"}}}"#.into(),
        impact,
        action_owner: owner.into(),
    }
}

fn agent(id: &str, tools: &[&str]) -> Agent {
    Agent {
        id: id.into(),
        tools: tools.iter().map(|t| (*t).to_owned()).collect(),
        ..super::tests::bot()
    }
}

const OWNED: &str =
    r#"@id("owned") permit (principal, action, resource) when { context.action_owner == "bob" };"#;

#[test]
fn every_prepared_static_part_is_the_one_built_per_call() {
    let agents = [
        agent("bot", &["x.*"]),
        agent("narrow", &["x.plain"]),
        agent("none", &[]),
    ];
    let tools = vec![
        tool("typed", Impact::High, "alice"),
        tool(
            "plain",
            Impact::Read,
            "an-overridden-owner-longer-than-23-bytes",
        ),
    ];
    let e = engine_with(OWNED, &agents, tools.clone());
    // Only configured agents × the configured tools their grants name.
    assert_eq!(
        e.prepared.prepared_pairs(),
        [
            ("bot".to_owned(), "x.plain".to_owned()),
            ("bot".to_owned(), "x.typed".to_owned()),
            ("narrow".to_owned(), "x.plain".to_owned()),
        ]
    );
    let (args, history) = (json!({"s": "v", "other": 1}), TaskHistory::default());
    let mut prepared = 0;
    for a in ["bot", "narrow", "none", "made-up"] {
        for t in tools.iter().map(Some).chain([None]) {
            let name = t.map_or("x.made-up", |t| t.qualified.as_str());
            let impact = t.map_or("read", |t| t.impact.as_str());
            let owner = t.map_or("o", |t| t.action_owner.as_str());
            let i = PolicyInput {
                agent: a,
                impact,
                action_owner: owner,
                ..call(name, &args, &history)
            };
            let granted = agents
                .iter()
                .any(|g| g.id == a && g.tools.iter().any(|p| crate::authz::tool_matches(p, name)));
            assert_eq!(e.prepared.is_prepared(&i), granted && t.is_some(), "{i:?}");
            prepared += usize::from(e.prepared.is_prepared(&i));
            // Another impact, owner or plugin than the prepared one is
            // built for the call.
            let others = [
                PolicyInput {
                    impact: "write",
                    ..i.clone()
                },
                PolicyInput {
                    action_owner: "bob",
                    ..i.clone()
                },
                PolicyInput {
                    plugin: "y",
                    ..i.clone()
                },
            ];
            for o in &others {
                assert!(!e.prepared.is_prepared(o), "{o:?}");
            }
            for i in std::iter::once(&i).chain(&others) {
                for approved in [false, true] {
                    let uncached = e.prepared.call_uncached(i).request(approved);
                    assert_eq!(e.request(i, approved), uncached, "{i:?}");
                    assert_eq!(uncached, reference(&e, i, approved), "{i:?}");
                }
            }
        }
    }
    assert_eq!(prepared, 3);
}

#[test]
fn a_reloaded_engine_prepares_its_own_static_parts() {
    let agents = [agent("bot", &["x.*"])];
    let before = engine_with(OWNED, &agents, vec![tool("plain", Impact::Read, "alice")]);
    // The operator overrides the action owner, and the host reloads.
    let after = engine_with(OWNED, &agents, vec![tool("plain", Impact::Read, "bob")]);
    let (args, history) = (json!({}), TaskHistory::default());
    let with = |owner| PolicyInput {
        impact: "read",
        action_owner: owner,
        ..call("x.plain", &args, &history)
    };
    let (alice, bob) = (with("alice"), with("bob"));
    assert!(before.prepared.is_prepared(&alice) && !before.prepared.is_prepared(&bob));
    assert!(after.prepared.is_prepared(&bob) && !after.prepared.is_prepared(&alice));
    assert!(matches!(after.decide(&bob), PolicyDecision::Allow { .. }));
    assert!(matches!(before.decide(&alice), PolicyDecision::Deny { .. }));
    // Each engine decides any call on its values, prepared or not.
    assert!(matches!(before.decide(&bob), PolicyDecision::Allow { .. }));
    assert!(matches!(after.decide(&alice), PolicyDecision::Deny { .. }));
    for (e, i) in [
        (&before, &alice),
        (&after, &bob),
        (&before, &bob),
        (&after, &alice),
    ] {
        assert_eq!(e.request(i, false), reference(e, i, false), "{i:?}");
    }
}
