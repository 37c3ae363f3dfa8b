//! Structured results: a tool's output schema, derived by the Rust SDK from
//! its typed output and pinned by the signed manifest, is listed as MCP's
//! `outputSchema`; an output that matches comes back as
//! `structuredContent`; one that does not is withheld, answered as a tool
//! error, and recorded.

use serde_json::json;
use warrant_tests::{Fixture, PluginSpec};

use crate::api::support::{records, rpc, serve};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outputs_are_held_to_their_signed_schema() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["adversary.*"])
        .build()
        .await;
    // The signed manifest pins what the SDK derived from the typed output.
    let manifest = std::fs::read_to_string(fx.path("adversary.toml")).unwrap();
    assert!(manifest.contains("output-schema"), "{manifest}");
    let srv = serve(&fx).await;
    let token = fx.token("bot", "T-OUT", &[]).await;

    let listed = rpc(&srv.base, &token, "tools/list", json!({})).await;
    let echo = listed["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "adversary__echo")
        .unwrap()
        .clone();
    assert_eq!(echo["outputSchema"]["type"], "object", "{echo}");

    // Matching: structured content, as the schema says.
    let ok = rpc(
        &srv.base,
        &token,
        "tools/call",
        json!({"name": "adversary__echo", "arguments": {"text": "hello"}}),
    )
    .await;
    let result = &ok["result"];
    assert_eq!(result["isError"], false, "{ok}");
    assert!(result["structuredContent"].is_object(), "{ok}");

    // Not matching: withheld, a tool error, recorded.
    let bad = rpc(
        &srv.base,
        &token,
        "tools/call",
        json!({"name": "adversary__mislabelled", "arguments": {"n": 7}}),
    )
    .await;
    let result = &bad["result"];
    assert_eq!(result["isError"], true, "{bad}");
    let text = result["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("does not match its signed output schema") && text.contains("verdict"),
        "{text}"
    );
    assert!(
        !text.contains("\"note\""),
        "the output itself is withheld: {text}"
    );
    assert!(result.get("structuredContent").is_none(), "{bad}");
    let outcome = records(&fx)
        .into_iter()
        .find(|r| r.kind == "call" && r.str("tool") == Some("adversary.mislabelled"))
        .unwrap();
    assert_eq!(outcome.str("outcome"), Some("invalid-output"));
    assert_eq!(outcome.data["output_size"], 0, "nothing released");
    srv.running.shutdown().await.unwrap();
}
