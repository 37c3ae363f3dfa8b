//! Traces and metrics over OTLP to a receiver in the test
//! (`warrant_tests::otlp`, decoding the OTLP protobuf over HTTP and gRPC):
//! an MCP call is a span tree under the client's `_meta.traceparent` with
//! OpenTelemetry's MCP names, and its audit record carries the same trace
//! id; a CLI call exported over gRPC starts its own trace, which its
//! record names, with the caller's correlation id.

use std::time::Duration;

use serde_json::{Value, json};
use warrant_tests::otlp::{Receiver, Span, SpanKind};
use warrant_tests::{Fixture, PluginSpec};

use crate::api::support::{records, rpc};

const TRACE: &str = "5b8efff798038103d269b633813fc60c";
const CLIENT_SPAN: &str = "eee19b7ec3c1b174";

async fn fixture() -> Fixture {
    Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.echo"])
        .build()
        .await
}

/// The fixture's config with `[telemetry]` exporting to `endpoint`.
fn config_with(fx: &Fixture, endpoint: &str, protocol: &str) -> std::path::PathBuf {
    let base = std::fs::read_to_string(fx.config_path()).unwrap();
    let path = fx.path("otel.toml");
    std::fs::write(
        &path,
        format!(
            "{base}\n[telemetry]\nenabled = true\nendpoint = \"{endpoint}\"\n\
             protocol = \"{protocol}\"\nmetrics-interval = \"1s\"\n"
        ),
    )
    .unwrap();
    path
}

fn named<'a>(spans: &'a [Span], name: &str) -> Vec<&'a Span> {
    spans.iter().filter(|s| s.name == name).collect()
}

fn attr<'a>(s: &'a Span, k: &str) -> &'a Value {
    s.attributes.get(k).unwrap_or(&Value::Null)
}

/// Every stage of an allowed call, each a child of `call`.
const STAGES: [&str; 5] = [
    "warrant.authorize",
    "warrant.admit",
    "warrant.audit.ahead",
    "warrant.sandbox",
    "warrant.audit.append",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_call_is_a_span_tree_under_the_clients_trace_and_its_record_names_it() {
    let fx = fixture().await;
    let rx = Receiver::start().await;
    let srv = crate::fleet::start(config_with(&fx, &rx.http_endpoint(), "http/protobuf"));
    let token = fx.token("bot", "T-OTEL", &[]).await;
    let params = json!({"name": "adversary__echo", "arguments": {"text": "traced"},
        "_meta": {"traceparent": format!("00-{TRACE}-{CLIENT_SPAN}-01")}});
    let r = rpc(&srv.base, &token, "tools/call", params).await;
    assert_eq!(r["result"]["isError"], false, "{r}");
    let call_id = r["result"]["_meta"]["warrant/call_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let seq = r["result"]["_meta"]["warrant/audit_seq"].as_u64().unwrap();
    // And a refused one (a tool outside the grant), over HTTP/JSON.
    let refused = reqwest::Client::new()
        .post(format!("{}/v1/tools/adversary.random-bytes/call", srv.base))
        .bearer_auth(&token)
        .json(&json!({"input": {"n": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);

    let complete = |s: &[Span]| {
        STAGES.iter().all(|n| !named(s, n).is_empty())
            && !named(s, "POST /v1/tools/{tool}/call").is_empty()
    };
    let spans = rx.wait_for_spans(complete, Duration::from_secs(30)).await;
    let server = named(&spans, "tools/call adversary__echo");
    let [server] = server.as_slice() else {
        panic!("one MCP server span: {spans:#?}")
    };
    assert_eq!(server.kind, SpanKind::Server, "{server:?}");
    assert_eq!(server.trace_id, TRACE);
    assert_eq!(
        server.parent_span_id, CLIENT_SPAN,
        "the client's span is the parent"
    );
    assert_eq!(server.service_name.as_deref(), Some("warrant"));
    for (k, v) in [
        ("mcp.method.name", "tools/call"),
        ("gen_ai.tool.name", "adversary__echo"),
        ("gen_ai.operation.name", "execute_tool"),
        ("mcp.protocol.version", "2026-07-28"),
        ("network.transport", "tcp"),
    ] {
        assert_eq!(attr(server, k), v, "{k}: {server:?}");
    }
    assert!(!attr(server, "jsonrpc.request.id").is_null(), "{server:?}");

    let call = named(&spans, "execute_tool adversary.echo");
    let call = call
        .iter()
        .find(|c| c.trace_id == TRACE)
        .unwrap_or_else(|| panic!("the call's span: {spans:#?}"));
    assert_eq!(call.parent_span_id, server.span_id);
    for (k, v) in [
        ("warrant.agent", json!("bot")),
        ("warrant.task", json!("T-OTEL")),
        ("warrant.call.id", json!(call_id)),
        ("warrant.decision", json!("allow")),
        ("warrant.decision.layer", json!("policy")),
        ("warrant.plugin", json!("adversary")),
        ("warrant.audit.seq", json!(seq)),
    ] {
        assert_eq!(attr(call, k), &v, "{k}: {call:?}");
    }
    assert!(attr(call, "warrant.token.id").is_string(), "{call:?}");
    for stage in STAGES {
        assert!(
            named(&spans, stage)
                .iter()
                .any(|s| s.parent_span_id == call.span_id && s.trace_id == TRACE),
            "{stage} under the call: {spans:#?}"
        );
    }
    // The refused HTTP call: its server span (HTTP conventions) is an error,
    // its call span names the refusing layer.
    let http = named(&spans, "POST /v1/tools/{tool}/call");
    let http = http[0];
    assert_eq!(http.kind, SpanKind::Server);
    assert_eq!(attr(http, "http.response.status_code"), &json!(403));
    assert_eq!(attr(http, "http.route"), "/v1/tools/{tool}/call");
    let refused = named(&spans, "execute_tool adversary.random-bytes");
    let refused = refused
        .iter()
        .find(|c| c.parent_span_id == http.span_id)
        .unwrap_or_else(|| panic!("the refused call's span: {spans:#?}"));
    assert_eq!(attr(refused, "error.type"), "scope", "{refused:?}");
    assert_eq!(refused.status_code, 2, "ERROR");

    // The chain and the trace meet: the call's records carry the trace id,
    // and `audit show --trace` finds them.
    let recs: Vec<_> = records(&fx)
        .into_iter()
        .filter(|r| r.str("call_id") == Some(&call_id))
        .collect();
    assert_eq!(recs.len(), 1, "the call's one record");
    for r in &recs {
        assert_eq!(r.data["trace"]["trace_id"], TRACE, "{:?}", r.data);
    }
    let shown = fx.cli(&["audit", "show", "--trace", TRACE, "--json"]);
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains(&call_id), "{shown}");

    // Metrics over OTLP too: the calls and the MCP operation histogram.
    let points = rx
        .wait_for_metrics(
            |m| {
                m.iter().any(|p| p.name == "warrant.calls")
                    && m.iter().any(|p| p.name == "mcp.server.operation.duration")
            },
            Duration::from_secs(30),
        )
        .await;
    assert!(
        points.iter().any(
            |p| p.name == "warrant.calls" && p.attributes.get("channel") == Some(&json!("mcp"))
        ),
        "{points:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cli_call_exports_over_grpc_and_its_record_names_its_trace_and_correlation_id() {
    let fx = fixture().await;
    let rx = Receiver::start().await;
    let config = config_with(&fx, &rx.grpc_endpoint(), "grpc");
    let token = fx.token("bot", "T-CLI", &[]).await;
    let out = fx
        .cli_command(&[
            "call",
            "adversary.echo",
            "--input",
            r#"{"text":"from the CLI"}"#,
            "--token",
            &token,
            "--correlation-id",
            "TICKET-4711",
        ])
        .env("WARRANT_CONFIG", &config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The process flushed its spans before it exited.
    let spans = rx
        .wait_for_spans(
            |s| !named(s, "execute_tool adversary.echo").is_empty(),
            Duration::from_secs(10),
        )
        .await;
    let call = named(&spans, "execute_tool adversary.echo")[0];
    assert_eq!(call.via, "grpc");
    assert!(call.parent_span_id.is_empty(), "a root span: {call:?}");
    assert_eq!(attr(call, "warrant.channel"), "cli");
    let call_id = attr(call, "warrant.call.id").as_str().unwrap().to_owned();
    let recs: Vec<_> = records(&fx)
        .into_iter()
        .filter(|r| r.str("call_id") == Some(&call_id))
        .collect();
    assert_eq!(recs.len(), 1, "{call_id}: the call's one record");
    for r in &recs {
        assert_eq!(
            r.data["trace"]["trace_id"],
            json!(call.trace_id),
            "{:?}",
            r.data
        );
        assert_eq!(r.data["correlation_id"], "TICKET-4711", "{:?}", r.data);
    }
}
