//! The same plugin in Rust, Python and TypeScript, loaded and called
//! through the host: each refusal and limit ends the same way, with the
//! same audit record, whatever the language. The Python and TypeScript
//! adversaries are built from source here (componentize-py, jco).

use serde_json::{Value, json};
use warrant::{CallFailure, CallRequest, Host};
use warrant_tests::authors::{py_adversary, ts_adversary};
use warrant_tests::{Fixture, PluginSpec};

use crate::api::support::call_records;

const GRANTS: &str = "files = [{ host = \"data\", guest = \"/data\", access = \"read\" }]\nhttp = [\"http://127.0.0.1:9\"]\nsecrets = [\"GRANTED_KEY\"]\nenv = [\"INTEL_API\"]";
const ENTRY: &str =
    "secrets = { GRANTED_KEY = { env = \"PATH\" } }\nenv = { INTEL_API = \"http://127.0.0.1:9\" }";
const LIMITS: &str = "memory = \"48MiB\"\ntimeout = \"1500ms\"";

async fn fixture() -> (Fixture, Host, String) {
    let fx = Fixture::builder()
        .plugin(
            PluginSpec::new("adversary")
                .grants(GRANTS)
                .entry(ENTRY)
                .limits(LIMITS),
        )
        .plugin(
            PluginSpec::built("py", py_adversary())
                .grants(GRANTS)
                .entry(ENTRY)
                .limits(LIMITS),
        )
        .plugin(
            PluginSpec::built("ts", ts_adversary())
                .grants(GRANTS)
                .entry(ENTRY)
                .limits(LIMITS),
        )
        .plugin(
            PluginSpec::new("http-lookup")
                .grants("http = [\"http://127.0.0.1:9\"]\nenv = [\"INTEL_API\"]")
                .entry("env = { INTEL_API = \"http://127.0.0.2:9\" }"),
        )
        .agent("bot", &["adversary.*", "py.*", "ts.*", "http-lookup.*"])
        .build()
        .await;
    std::fs::create_dir_all(fx.path("data")).unwrap();
    std::fs::write(fx.path("data/report.txt"), "granted data").unwrap();
    let host = fx.host().await;
    assert!(
        host.registry().refusals().is_empty(),
        "{:?}",
        host.registry().refusals()
    );
    let t = fx.token("bot", "T-1", &[]).await;
    (fx, host, t)
}

/// The call's outcome, and its `call` record's outcome and uses.
async fn run(
    fx: &Fixture,
    host: &Host,
    t: &str,
    tool: &str,
    input: Value,
) -> (Result<String, CallFailure>, String, Value) {
    let r = host
        .call(CallRequest {
            token: t.into(),
            tool: tool.into(),
            input: input.into(),
            channel: "lib",
            ..CallRequest::default()
        })
        .await;
    let completed = call_records(fx, &r.call_id)
        .into_iter()
        .find(|r| r.kind == "call")
        .expect("a call record");
    let outcome = completed.str("outcome").unwrap_or_default().to_owned();
    let uses = completed.data["uses"].clone();
    let result = r.outcome.map_err(|e| match e {
        warrant::CallError::Failed(f) => f,
        other => panic!("{tool}: not run: {other}"),
    });
    (result, outcome, uses)
}

#[tokio::test]
async fn python_and_typescript_plugins_meet_the_same_sandbox_as_rust() {
    let (fx, host, t) = fixture().await;

    // Allowed: a granted file is read in every language.
    for (tool, input) in [
        (
            "adversary.fs",
            json!({"op": "read", "path": "/data/report.txt", "arg": ""}),
        ),
        ("py.read", json!({"path": "/data/report.txt"})),
        ("ts.read", json!({"path": "/data/report.txt"})),
    ] {
        let (out, outcome, _) = run(&fx, &host, &t, tool, input).await;
        assert!(out.unwrap().contains("granted data"), "{tool}");
        assert_eq!(outcome, "ok", "{tool}");
    }

    // A file outside the grant: the tool fails, nothing is read.
    for (tool, input) in [
        (
            "adversary.fs",
            json!({"op": "read", "path": "/data/../secret-outside.txt", "arg": ""}),
        ),
        ("py.read", json!({"path": "/data/../secret-outside.txt"})),
        ("ts.read", json!({"path": "/data/../secret-outside.txt"})),
        ("py.read", json!({"path": "/etc/passwd"})),
        ("ts.read", json!({"path": "/etc/passwd"})),
    ] {
        let (out, outcome, _) = run(&fx, &host, &t, tool, input).await;
        assert!(
            matches!(out, Err(CallFailure::ToolFailed(_))),
            "{tool}: {out:?}"
        );
        assert_eq!(outcome, "tool-error", "{tool}");
    }

    // An HTTP origin outside the grant: refused by the host and recorded,
    // the same record for each language.
    let rust = run(
        &fx,
        &host,
        &t,
        "http-lookup.lookup",
        json!({"indicator": "203.0.113.45"}),
    )
    .await;
    let py = run(
        &fx,
        &host,
        &t,
        "py.fetch",
        json!({"url": "http://127.0.0.2:9/v1/indicators/ip/203.0.113.45"}),
    )
    .await;
    let ts = run(
        &fx,
        &host,
        &t,
        "ts.fetch",
        json!({"url": "http://127.0.0.2:9/v1/indicators/ip/203.0.113.45"}),
    )
    .await;
    let http = |uses: &Value| -> Value {
        uses.as_array()
            .and_then(|u| u.iter().find(|u| u["kind"] == "http"))
            .cloned()
            .unwrap_or_else(|| panic!("no http use: {uses}"))
    };
    for (lang, (out, outcome, uses)) in [("rust", &rust), ("python", &py), ("ts", &ts)] {
        assert!(
            matches!(out, Err(CallFailure::ToolFailed(_))),
            "{lang}: {out:?}"
        );
        assert_eq!(outcome, "tool-error", "{lang}");
        let u = http(uses);
        assert_eq!(u["origin"], "http://127.0.0.2:9", "{lang}: {uses}");
        assert!(
            u["refused"]
                .as_str()
                .unwrap()
                .contains("not in this plugin's http grant"),
            "{lang}: {uses}"
        );
    }
    // (the Rust example asks for its optional API key first)
    assert_eq!(
        http(&rust.2),
        http(&py.2),
        "the same record from Rust and Python"
    );
    assert_eq!(http(&py.2), http(&ts.2), "and from TypeScript");

    // A secret not granted: refused and recorded by name; a granted one is
    // delivered (and an output holding it blocked).
    for prefix in ["adversary", "py", "ts"] {
        let (out, outcome, uses) = run(
            &fx,
            &host,
            &t,
            &format!("{prefix}.secret"),
            json!({"name": "OTHER_KEY"}),
        )
        .await;
        let Err(CallFailure::ToolFailed(m)) = out else {
            panic!("{prefix}: {out:?}")
        };
        assert!(m.contains("not granted"), "{prefix}: {m}");
        assert_eq!(outcome, "tool-error");
        assert_eq!(
            uses,
            json!([{"kind": "secret", "name": "OTHER_KEY", "granted": false}]),
            "{prefix}"
        );
        let (out, _, uses) = run(
            &fx,
            &host,
            &t,
            &format!("{prefix}.secret"),
            json!({"name": "GRANTED_KEY"}),
        )
        .await;
        // Delivered. The Rust adversary returns the value itself, and that
        // output is blocked, naming the secret (a value the host hands out
        // never leaves through it); the Python and TypeScript ones return
        // its length.
        if prefix == "adversary" {
            assert!(
                matches!(&out, Err(CallFailure::SecretBlocked { name, .. }) if name == "GRANTED_KEY"),
                "{prefix}: {out:?}"
            );
        } else {
            assert!(out.is_ok(), "{prefix}: {out:?}");
        }
        assert_eq!(
            uses,
            json!([{"kind": "secret", "name": "GRANTED_KEY", "granted": true}]),
            "{prefix}"
        );
    }

    // A granted variable is seen; sockets never open (Python has a socket
    // API: the runtime's import is linked, inert).
    for tool in ["adversary.env", "py.env", "ts.env"] {
        let (out, _, _) = run(&fx, &host, &t, tool, json!({"name": "INTEL_API"})).await;
        assert!(out.unwrap().contains("http://127.0.0.1:9"), "{tool}");
    }
    let (out, _, uses) = run(&fx, &host, &t, "py.socket", json!({"url": "127.0.0.1:9"})).await;
    let Err(CallFailure::ToolFailed(m)) = out else {
        panic!("{out:?}")
    };
    assert!(m.contains("no socket"), "{m}");
    assert_eq!(uses, json!([]));

    // The memory limit and the time limit stop every language alike.
    for tool in ["adversary.grow", "py.grow", "ts.grow"] {
        let (out, outcome, _) = run(&fx, &host, &t, tool, json!({})).await;
        assert!(
            matches!(out, Err(CallFailure::MemoryLimit { limit }) if limit == 48 << 20),
            "{tool}: {out:?}"
        );
        assert_eq!(outcome, "memory-limit", "{tool}");
    }
    for tool in ["adversary.spin", "py.spin", "ts.spin"] {
        let (out, outcome, _) = run(&fx, &host, &t, tool, json!({})).await;
        assert!(
            matches!(out, Err(CallFailure::Timeout { .. })),
            "{tool}: {out:?}"
        );
        assert_eq!(outcome, "timeout", "{tool}");
    }
    // The host keeps serving after all of that.
    let (out, _, _) = run(
        &fx,
        &host,
        &t,
        "py.read",
        json!({"path": "/data/report.txt"}),
    )
    .await;
    assert!(out.is_ok());
}
