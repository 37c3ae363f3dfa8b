//! Tool inputs with the policy context built from them: any arguments to a
//! typed tool are decided, never a panic.
#![no_main]
use std::sync::LazyLock;

use warrant::authz::{PolicyEngine, PolicyInput};
use warrant::registry::{PolicyPlugin, PolicyTool, PolicyView};

static ENGINE: LazyLock<PolicyEngine> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("warrant-fuzz-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("p.cedar");
    std::fs::write(
        &path,
        "@id(\"p\")\npermit (principal, action, resource);\n@id(\"f\")\nforbid (principal, action == Action::\"x.t\", resource) when { context.args has s && context.args.s like \"*a*\" && context.args has n && context.args.n > 3 } unless { context.history.succeeded.contains(\"x.t\") };\n",
    )
    .expect("policy");
    let agent = warrant::config::Agent {
        id: "bot".into(),
        owner: "o".into(),
        model: "m".into(),
        model_owner: "mo".into(),
        tools: vec!["x.*".into()],
        rate: None,
        max_concurrent: None,
    };
    let view = PolicyView {
        plugins: vec![PolicyPlugin {
            id: "x".into(),
            publisher: "p".into(),
            version: "1.0.0".into(),
            signer: "k".into(),
            rate: None,
        }],
        tools: vec![PolicyTool {
            qualified: "x.t".into(),
            input_schema: r#"{"type":"object","properties":{"s":{"type":"string"},"n":{"type":["integer","null"]},"b":{"type":"boolean"},"l":{"type":"array","items":{"type":"string"}}}}"#.into(),
            impact: warrant::Impact::Read,
            action_owner: "o".into(),
        }],
    };
    PolicyEngine::load(&[path], &[agent], &view).expect("engine")
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(args) = warrant::vocab::parse_strict(text) else {
        return;
    };
    let history = warrant::state::TaskHistory::default();
    let _ = ENGINE.decide(&PolicyInput {
        agent: "bot",
        plugin: "x",
        tool: "x.t",
        task: "T",
        impact: "read",
        action_owner: "o",
        token_id: "t",
        args: &args,
        now: chrono::Utc::now(),
        history: &history,
    });
});
