//! The official MCP conformance suite (`@modelcontextprotocol/conformance`,
//! pinned, on Node 22) against `warrant serve`, at every protocol version
//! warrant supports that has a requirement set (2025-11-25 with the
//! `initialize` handshake, 2026-07-28 stateless), with a signed fixture
//! plugin offering the suite's `test_*` tools (bare names: `mcp-prefix =
//! false`) and the agent's task token added by a proxy in front. Every
//! check of every applicable scenario must pass; the fixture's tools must
//! have run (the audit chain says so), so no tool scenario passes on a
//! refusal.

mod applicability;
mod proxy;
mod suite;

use warrant_tests::{Fixture, PluginSpec, workspace_root};

use crate::api::support::{records, serve};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_conformance_suite_passes_every_applicable_scenario() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("conformance").entry("mcp-prefix = false"))
        .plugin(PluginSpec::new("ioc-extract"))
        .agent("conformance-client", &["conformance.*", "ioc-extract.*"])
        .build()
        .await;
    let server = serve(&fx).await;
    let token = fx.token("conformance-client", "CONFORMANCE-1", &[]).await;
    let proxy = proxy::start(server.running.local_addr(), &token).await;
    let url = format!("{}/mcp", proxy.base);

    let mut failures = Vec::new();
    for (version, scenarios) in applicability::RUN {
        let u = url.clone();
        let results = tokio::task::spawn_blocking(move || suite::run(&u, version, scenarios))
            .await
            .unwrap();
        for (scenario, checks) in results {
            for c in checks {
                eprintln!("{version} {scenario} {}: {}", c.id, c.status);
                let passed = matches!(c.status.as_str(), "SUCCESS" | "INFO");
                if !passed && !applicability::not_applicable(&scenario, &c.id) {
                    failures.push(format!(
                        "{version} {scenario} {}: {} {}",
                        c.id, c.status, c.message
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "conformance {} failures:\n{}",
        suite::SUITE,
        failures.join("\n")
    );

    // The tool scenarios called the fixture's tools, which ran (and the
    // error tool failed as a tool, not as a refusal).
    let outcomes: Vec<(String, String)> = records(&fx)
        .iter()
        .filter(|r| r.kind == "call")
        .map(|r| {
            (
                r.str("tool").unwrap_or_default().to_owned(),
                r.str("outcome").unwrap_or_default().to_owned(),
            )
        })
        .collect();
    for (tool, outcome) in [
        ("conformance.test_simple_text", "ok"),
        ("conformance.test_error_handling", "tool-error"),
    ] {
        assert!(
            outcomes.iter().any(|(t, o)| t == tool && o == outcome),
            "{tool} did not run to {outcome}: {outcomes:?}"
        );
    }
    server.running.shutdown().await.unwrap();
}

#[test]
fn the_docs_list_every_scenario_that_does_not_apply() {
    let doc = std::fs::read_to_string(workspace_root().join("host/docs/mcp-and-oauth.md"))
        .expect("host/docs/mcp-and-oauth.md");
    for (scenario, check, _) in applicability::NOT_APPLICABLE {
        let name = if *check == "*" { scenario } else { check };
        assert!(
            doc.contains(&format!("`{name}`")),
            "host/docs/mcp-and-oauth.md does not list `{name}` as not applicable"
        );
    }
    assert!(
        doc.contains(suite::SUITE),
        "the docs name the suite's version"
    );
}
