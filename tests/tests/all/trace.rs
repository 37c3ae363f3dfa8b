//! Trace context: a caller's W3C `traceparent` (MCP `params._meta`, HTTP
//! header) is recorded with the call, so the chain and the trace meet;
//! `warrant audit show --trace ID` finds the call's records; an invalid
//! one is ignored, as the W3C standard says; the console's timeline links
//! a call's trace to the calls recorded under it.

use serde_json::{Value, json};
use warrant_tests::{Fixture, PluginSpec};

use crate::api::support::{records, rpc, serve};

const MCP_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const HTTP_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";

async fn mcp_echo(base: &str, token: &str, meta: Value) -> Value {
    let params = json!({"name": "adversary__echo", "arguments": {"text": "traced"}, "_meta": meta});
    rpc(base, token, "tools/call", params).await
}

/// The `trace` of every record of the call `call_id`.
fn traces(fx: &Fixture, call_id: &str) -> Vec<Value> {
    records(fx)
        .into_iter()
        .filter(|r| r.str("call_id") == Some(call_id))
        .map(|r| r.data.get("trace").cloned().unwrap_or(Value::Null))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callers_trace_context_is_recorded_with_its_call() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"])
        .build()
        .await;
    let srv = serve(&fx).await;
    let token = fx.token("bot", "T-TRACE", &[]).await;

    // MCP: params._meta.traceparent and tracestate.
    let r = mcp_echo(
        &srv.base,
        &token,
        json!({"traceparent": format!("00-{MCP_TRACE}-00f067aa0ba902b7-01"),
               "tracestate": "congo=t61rcWkgMzE"}),
    )
    .await;
    assert_eq!(r["result"]["isError"], false, "{r}");
    let mcp_call = r["result"]["_meta"]["warrant/call_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let t = traces(&fx, &mcp_call);
    assert_eq!(t.len(), 1, "the call's one record: {t:?}");
    for one in &t {
        assert_eq!(
            one,
            &json!({"trace_id": MCP_TRACE, "parent_id": "00f067aa0ba902b7", "state": "congo=t61rcWkgMzE"})
        );
    }

    // HTTP/JSON: the traceparent header.
    let http = reqwest::Client::new();
    let ok: Value = http
        .post(format!("{}/v1/tools/adversary.echo/call", srv.base))
        .bearer_auth(&token)
        .header(
            "traceparent",
            format!("00-{HTTP_TRACE}-b7ad6b7169203331-01"),
        )
        .json(&json!({"input": {"text": "traced"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let http_call = ok["call_id"].as_str().unwrap().to_owned();
    assert!(
        traces(&fx, &http_call)
            .iter()
            .all(|t| t["trace_id"] == HTTP_TRACE && t["parent_id"] == "b7ad6b7169203331"),
        "{ok}"
    );

    // An invalid traceparent (all-zero trace id) is ignored.
    let bad = mcp_echo(
        &srv.base,
        &token,
        json!({"traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}),
    )
    .await;
    let bad_call = bad["result"]["_meta"]["warrant/call_id"].as_str().unwrap();
    assert!(traces(&fx, bad_call).iter().all(Value::is_null));

    // The console's timeline shows the call's trace, linked to the calls
    // recorded under it.
    let c = crate::console::login(&fx, &srv.base, "carol").await;
    let (status, page) = c.get("/console/tasks/T-TRACE").await;
    assert_eq!(status, 200);
    let start = format!("href=\"/console/calls?trace={MCP_TRACE}&amp;since=");
    let at = page.find(&start).expect("the timeline links the trace id") + "href=\"".len();
    let link = page[at..at + page[at..].find('"').unwrap()].replace("&amp;", "&");
    assert!(
        page[at..].contains(&format!("<code>{MCP_TRACE}</code>")),
        "{page}"
    );
    let (status, list) = c.get(&link).await;
    assert_eq!(status, 200, "{list}");
    assert!(list.contains(&format!("trace {MCP_TRACE}")), "{list}");
    assert!(
        list.contains("<strong id=\"calls-count\">1</strong>"),
        "{list}"
    );
    srv.running.shutdown().await.unwrap();

    // The analyst goes from the trace to the records.
    let out = fx.cli(&["audit", "show", "--trace", MCP_TRACE, "--json"]);
    assert!(out.status.success(), "{out:?}");
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "the call's one record: {lines:?}");
    assert!(
        lines
            .iter()
            .all(|l| l["data"]["call_id"] == mcp_call.as_str()),
        "{lines:?}"
    );
}
