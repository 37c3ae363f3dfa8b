//! Finding 1: duplicate JSON keys must not smuggle arguments past policy and
//! approval. The plugin `adversary.first-arg` reads its input keeping the
//! first of two equal keys; the host reads strictly and hands the plugin
//! the canonical form of exactly what policy saw.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use serde_json::{Value, json};
use warrant::CallError;
use warrant::authz::Refusal;
use warrant_tests::{Fixture, PluginSpec};

use super::{call, echo, records, still_serves_and_verifies};

const POLICY: &str = r#"
@id("permit-all")
permit (principal, action, resource);

@id("first-arg-needs-approval")
forbid (principal, action == Action::"adversary.first-arg", resource)
  when { context.args has arg && context.args.arg like "approve-*" } unless { context.approved };

@id("no-secret-arg")
forbid (principal, action, resource) when { context.args has arg && context.args.arg == "secret" };
"#;

async fn fixture() -> Fixture {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"])
        .policy(POLICY)
        .build()
        .await;
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    std::fs::write(
        fx.config_path(),
        cfg.replace("wait = \"3s\"", "wait = \"1s\""),
    )
    .unwrap();
    fx
}

fn input_refused(outcome: &Result<String, CallError>) -> String {
    match outcome {
        Err(CallError::Refused(r @ Refusal::Input(_))) => r.to_string(),
        other => panic!("expected an input refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_keys_are_refused_and_cannot_ride_on_an_approval() {
    let fx = fixture().await;
    let host = fx.host().await;
    let t = fx.token("bot", "T-1", &[]).await;
    // At any depth.
    for dup in [
        r#"{"arg":"b","arg":"a"}"#,
        r#"{"arg":"a","x":{"y":1,"y":2}}"#,
        r#"{"arg":"a","x":[{"z":1,"z":1}]}"#,
    ] {
        let why = input_refused(&call(&host, &t, "adversary.first-arg", dup).await.outcome);
        assert!(why.contains("duplicate key"), "{why}");
    }
    // An approval for {"arg":"approve-a"} ...
    let held = call(&host, &t, "adversary.first-arg", r#"{"arg":"approve-a"}"#).await;
    let Err(CallError::Refused(Refusal::PendingApproval { approval_id, .. })) = &held.outcome
    else {
        panic!("expected a held call: {:?}", held.outcome)
    };
    let out = fx.cli_as("carol", &["approvals", "approve", approval_id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // ... does not let a plugin that keeps the first key act on "approve-b".
    let smuggled = r#"{"arg":"approve-b","arg":"approve-a"}"#;
    let why = input_refused(
        &call(&host, &t, "adversary.first-arg", smuggled)
            .await
            .outcome,
    );
    assert!(why.contains("duplicate key \"arg\""), "{why}");
    // The approved call runs, once, on exactly the approved argument.
    let ran = call(&host, &t, "adversary.first-arg", r#"{"arg":"approve-a"}"#).await;
    let out: Value = serde_json::from_str(ran.outcome.as_ref().unwrap()).unwrap();
    assert_eq!(out["acted_on"], "approve-a");
    // A forbidden argument cannot hide behind an allowed one either.
    let why = input_refused(
        &call(
            &host,
            &t,
            "adversary.first-arg",
            r#"{"arg":"secret","arg":"fine"}"#,
        )
        .await
        .outcome,
    );
    assert!(why.contains("duplicate key"), "{why}");
    let denied = call(&host, &t, "adversary.first-arg", r#"{"arg":"secret"}"#).await;
    assert!(matches!(
        denied.outcome,
        Err(CallError::Refused(Refusal::Policy { .. }))
    ));
    // What the plugin gets is the canonical form of what policy saw: its
    // digest is the one recorded.
    let spaced = call(
        &host,
        &t,
        "adversary.first-arg",
        r#"{ "arg" : "x" ,"y": { "b":1, "a":2 } }"#,
    )
    .await;
    assert!(spaced.outcome.is_ok(), "{:?}", spaced.outcome);
    let canonical = r#"{"arg":"x","y":{"a":2,"b":1}}"#;
    let want = format!("sha256:{}", warrant::keys::sha256_hex(canonical.as_bytes()));
    let rec = records(&fx)
        .into_iter()
        .find(|r| r.kind == "call" && r.str("call_id") == Some(spaced.call_id.as_str()))
        .unwrap();
    assert_eq!(rec.str("input_digest"), Some(want.as_str()));
    still_serves_and_verifies(&fx, &host, &t, "adversary.echo", echo()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_the_json_api_and_mcp_refuse_duplicate_keys_too() {
    let fx = fixture().await;
    let t = fx.token("bot", "T-2", &[]).await;
    // CLI.
    let out = fx.cli(&[
        "call",
        "adversary.first-arg",
        "--input",
        r#"{"arg":"b","arg":"a"}"#,
        "--token",
        &t,
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("duplicate key"),
        "{err}"
    );
    // HTTP/JSON and MCP over HTTP.
    let srv = crate::api::support::serve(&fx).await;
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/v1/tools/adversary.first-arg/call", srv.base))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body(r#"{"input": {"arg": "b", "arg": "a"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("duplicate key"),
        "{body}"
    );
    let r = http
        .post(format!("{}/mcp", srv.base))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"adversary__first-arg","arguments":{"arg":"b","arg":"a"}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["id"], 9);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("duplicate key"),
        "{body}"
    );
    let host = srv.host.clone();
    srv.running.shutdown().await.unwrap();
    // MCP over stdio, with raw JSON-RPC lines.
    let mut child = fx
        .cli_command(&["serve", "--stdio"])
        .env("WARRANT_TOKEN", &t)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut send = |line: &str| {
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    };
    let mut answer = |id: u64| -> Value {
        loop {
            let mut line = String::new();
            assert!(
                stdout.read_line(&mut line).unwrap() > 0,
                "the server closed stdout"
            );
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["id"] == id {
                return v;
            }
        }
    };
    send(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#,
    );
    assert!(answer(1)["result"].is_object());
    send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    send(
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"adversary__first-arg","arguments":{"arg":"b","arg":"a"}}}"#,
    );
    let refused = answer(2);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("duplicate key"),
        "{refused}"
    );
    send(
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"adversary__first-arg","arguments":{"arg":"a"}}}"#,
    );
    let ok = answer(3);
    assert_eq!(ok["result"]["structuredContent"]["acted_on"], "a", "{ok}");
    drop(stdin);
    let _ = child.wait();
    let t2 = fx.token("bot", "T-3", &[]).await;
    let host2 = fx.host().await;
    drop(host);
    still_serves_and_verifies(&fx, &host2, &t2, "adversary.echo", json!({"text": "x"})).await;
}
