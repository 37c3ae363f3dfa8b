//! The policy engine on one tool: the three outcomes, deny by default,
//! start-up errors with their lines.

use super::*;
use crate::registry::{PolicyPlugin, PolicyTool};
use serde_json::json;

/// The agent every policy test decides for.
pub(super) fn bot() -> Agent {
    Agent {
        id: "bot".into(),
        owner: "alice".into(),
        model: "m".into(),
        model_owner: "vendor".into(),
        tools: vec![],
        rate: None,
        max_concurrent: None,
        require_dpop: false,
    }
}

fn engine(policy: &str) -> Result<PolicyEngine, PolicyError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.cedar");
    std::fs::write(&path, policy).unwrap();
    let agent = bot();
    let view = PolicyView {
        plugins: vec![PolicyPlugin {
            id: "case-note".into(),
            publisher: "p".into(),
            version: "1.0.0".into(),
            signer: "k".into(),
            rate: None,
        }],
        tools: vec![PolicyTool { qualified: "case-note.append".into(), input_schema: r#"{"type":"object","properties":{"case_id":{"type":"string"},"n":{"type":["integer","null"]}}}"#.into(), impact: crate::vocab::Impact::Write, action_owner: "o".into() }],
    };
    PolicyEngine::load(&[path], &[agent], &view)
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
        scopes: &[],
        args,
        now: Utc::now(),
        history: &EMPTY,
    }
}

static EMPTY: std::sync::LazyLock<crate::state::TaskHistory> =
    std::sync::LazyLock::new(crate::state::TaskHistory::default);

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
    let err =
        engine("permit (principal, action, resource);\npermit (principal action);").unwrap_err();
    assert!(matches!(err, PolicyError::Parse { line: 2, .. }), "{err}");
    let err = engine("permit (principal, action == Action::\"nope.x\", resource);").unwrap_err();
    assert!(matches!(err, PolicyError::Validate { .. }), "{err}");
}

#[test]
fn step_up_scopes_are_named_only_when_they_lift_the_denial() {
    let rules = "@id(\"all\") permit (principal, action, resource);\n\
        @id(\"ext\") @scope(\"external-case\") forbid (principal, action, resource) \
        when { context.args has case_id && context.args.case_id like \"EXT-*\" } \
        unless { context.scopes.contains(\"external-case\") };\n\
        @id(\"never-x\") forbid (principal, action, resource) \
        when { context.args has case_id && context.args.case_id == \"EXT-X\" };";
    let e = engine(rules).unwrap();
    assert_eq!(e.step_up_scopes(), vec!["external-case".to_owned()]);
    let needed = |case: &str, scopes: &[String]| {
        let args = json!({"case_id": case});
        let i = PolicyInput {
            scopes,
            ..input("INC-1", &args)
        };
        match e.decide(&i) {
            PolicyDecision::Deny { policies, .. } => e.scopes_needed(&i, &policies),
            _ => Some(Vec::new()),
        }
    };
    // Allowed without it; denied for want of it; allowed with it.
    assert_eq!(needed("INC-7", &[]), Some(vec![]));
    assert_eq!(needed("EXT-7", &[]), Some(vec!["external-case".to_owned()]));
    assert_eq!(needed("EXT-7", &["external-case".to_owned()]), Some(vec![]));
    // Denied by a policy no scope lifts: no step-up is offered.
    assert_eq!(needed("EXT-X", &[]), None);
    // An annotation on a permit, or not a scope name, is a start-up error.
    for bad in [
        "@id(\"p\") @scope(\"x\") permit (principal, action, resource);",
        "@id(\"f\") @scope(\"case-note.append\") forbid (principal, action, resource);",
        "@id(\"f\") @scope(\"\") forbid (principal, action, resource);",
    ] {
        let err = engine(bad).unwrap_err();
        assert!(matches!(err, PolicyError::Validate { .. }), "{bad}: {err}");
    }
}
