//! The Python and TypeScript example plugins (phish-headers,
//! advisory-lookup), built from source, signed, loaded by a host and called
//! through it — by the library and by an agent over MCP.

use serde_json::{Value, json};
use warrant::{CallError, CallFailure, CallRequest, Host};
use warrant_tests::authors::{advisory_lookup, phish_headers};
use warrant_tests::{Fixture, PluginSpec, workspace_root};

use crate::api::support::{call_records, mcp_client, serve};
use crate::authors::intel_api;

async fn fixture(api: &str) -> Fixture {
    let examples = workspace_root().join("example-plugins");
    let reports = examples.join("phish-headers/fixtures/reports");
    let inventory = examples.join("advisory-lookup/fixtures/inventory");
    Fixture::builder()
        .plugin(
            PluginSpec::built("phish-headers", phish_headers())
                .grants(&format!(
                    "files = [{{ host = {:?}, guest = \"/reports\", access = \"read\" }}]\nhttp = [{api:?}]\nenv = [\"INTEL_API\"]",
                    reports.display().to_string()
                ))
                .entry(&format!("env = {{ INTEL_API = {api:?} }}")),
        )
        .plugin(
            PluginSpec::built("advisory-lookup", advisory_lookup())
                .grants(&format!(
                    "files = [{{ host = {:?}, guest = \"/inventory\", access = \"read\" }}]\nhttp = [{api:?}]\nenv = [\"INTEL_API\"]",
                    inventory.display().to_string()
                ))
                .entry(&format!("env = {{ INTEL_API = {api:?} }}")),
        )
        .agent("analyst", &["phish-headers.*", "advisory-lookup.*"])
        .build()
        .await
}

async fn call(
    host: &Host,
    t: &str,
    tool: &str,
    input: Value,
) -> (Result<Value, CallError>, String) {
    let r = host
        .call(CallRequest {
            token: t.into(),
            tool: tool.into(),
            input: input.into(),
            channel: "lib",
            ..CallRequest::default()
        })
        .await;
    (
        r.outcome
            .map(|o| serde_json::from_str(&o).expect("JSON output")),
        r.call_id,
    )
}

#[tokio::test]
async fn python_and_typescript_examples_run_in_the_host_and_answer_an_agent_over_mcp() {
    let api = intel_api().await;
    let fx = fixture(&api).await;
    let host = fx.host().await;
    assert!(
        host.registry().refusals().is_empty(),
        "{:?}",
        host.registry().refusals()
    );
    let t = fx.token("analyst", "INC-2026-0042", &[]).await;

    // phish-headers (Python): a spoofed invoice, its sender looked up.
    let (out, id) = call(
        &host,
        &t,
        "phish-headers.analyze",
        json!({"file": "report-0042.eml", "lookup": true}),
    )
    .await;
    let out = out.unwrap();
    assert_eq!(out["suspicious"], true);
    assert_eq!(out["origin_ip"], "203.0.113.45");
    assert_eq!(out["authentication"]["dmarc"], "fail");
    assert_eq!(out["origin_intel"]["verdict"], "malicious");
    assert!(
        out["findings"][0]
            .as_str()
            .unwrap()
            .contains("display name shows ap@corp.example")
    );
    let completed = call_records(&fx, &id)
        .into_iter()
        .find(|r| r.kind == "call")
        .unwrap();
    assert_eq!(completed.data["uses"][0]["status"], 200);
    assert_eq!(completed.data["uses"][0]["origin"], api.as_str());

    // …a report outside the granted directory is out of reach.
    let (out, _) = call(
        &host,
        &t,
        "phish-headers.analyze",
        json!({"file": "/reports/../../etc/passwd"}),
    )
    .await;
    assert!(
        matches!(&out, Err(CallError::Failed(CallFailure::ToolFailed(m))) if m.contains("cannot read")),
        "{out:?}"
    );
    let (out, _) = call(&host, &t, "phish-headers.reports", json!({})).await;
    assert_eq!(out.unwrap(), json!(["report-0042.eml", "report-0043.eml"]));

    // advisory-lookup (TypeScript): an exploited flaw on an exposed host.
    let (out, _) = call(
        &host,
        &t,
        "advisory-lookup.lookup",
        json!({"cve": "CVE-2026-31337"}),
    )
    .await;
    let out = out.unwrap();
    assert_eq!(out["severity"], "critical");
    assert_eq!(out["urgent"], true);
    assert_eq!(
        out["affected_assets"],
        json!([{"host": "bastion-1.corp.example", "version": "9.6p1", "owner": "platform-team", "exposed": true}])
    );
    let (out, _) = call(
        &host,
        &t,
        "advisory-lookup.lookup",
        json!({"cve": "CVE-2026-40211", "exposed_only": true}),
    )
    .await;
    assert_eq!(
        out.unwrap()["affected_assets"][0]["host"],
        "edge-lb-2.corp.example"
    );
    let (out, _) = call(
        &host,
        &t,
        "advisory-lookup.lookup",
        json!({"cve": "not-a-cve"}),
    )
    .await;
    assert!(
        matches!(out, Err(CallError::Failed(CallFailure::InvalidInput(_)))),
        "{out:?}"
    );

    // An agent over MCP (the `mcp` client from PyPI) sees and calls both.
    let server = serve(&fx).await;
    let report = mcp_client(
        vec![
            "http".into(),
            "--url".into(),
            format!("{}/mcp", server.base),
            "--token".into(),
            t.clone(),
        ],
        &json!([
            {"op": "list"},
            {"op": "call", "name": "advisory-lookup__lookup", "arguments": {"cve": "CVE-2026-31337"}},
            {"op": "call", "name": "phish-headers__analyze", "arguments": {"file": "report-0043.eml"}},
        ]),
    )
    .await;
    let names: Vec<&str> = report["results"][0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"phish-headers__analyze") && names.contains(&"advisory-lookup__lookup"),
        "{names:?}"
    );
    assert_eq!(report["results"][1]["is_error"], false, "{report}");
    assert!(
        report["results"][1]["text"]
            .as_str()
            .unwrap()
            .contains("bastion-1.corp.example")
    );
    assert_eq!(report["results"][2]["is_error"], false, "{report}");
    assert!(
        report["results"][2]["text"]
            .as_str()
            .unwrap()
            .contains("\"suspicious\":false")
    );
}
