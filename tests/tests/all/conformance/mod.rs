//! The official MCP conformance suite against `warrant serve`.

mod proxy;
mod suite;

use warrant_tests::{Fixture, PluginSpec};

use crate::api::support::serve;

const ALL_2025: &[&str] = &[
    "server-initialize",
    "server-session-lifecycle",
    "logging-set-level",
    "ping",
    "completion-complete",
    "tools-list",
    "tools-call-simple-text",
    "tools-call-image",
    "tools-call-audio",
    "tools-call-embedded-resource",
    "tools-call-mixed-content",
    "tools-call-with-logging",
    "tools-call-error",
    "tools-call-with-progress",
    "tools-call-sampling",
    "tools-call-elicitation",
    "json-schema-2020-12",
    "elicitation-sep1034-defaults",
    "server-sse-polling",
    "server-sse-multiple-streams",
    "elicitation-sep1330-enums",
    "resources-list",
    "dns-rebinding-protection",
];
const ALL_2026: &[&str] = &[
    "server-stateless",
    "completion-complete",
    "tools-list",
    "tools-call-simple-text",
    "tools-call-image",
    "tools-call-error",
    "tools-call-with-progress",
    "json-schema-2020-12",
    "server-sse-multiple-streams",
    "resources-list",
    "dns-rebinding-protection",
    "caching",
    "http-header-validation",
    "http-custom-header-server-validation",
    "input-required-result-basic-elicitation",
    "input-required-result-non-tool-request",
    "input-required-result-result-type",
    "input-required-result-unsupported-methods",
    "input-required-result-capability-check",
    "input-required-result-ignore-extra-params",
    "input-required-result-validate-input",
    "input-required-result-tampered-state",
    "tasks-lifecycle",
    "tasks-capability-negotiation",
    "tasks-wire-fields",
    "tasks-request-state-removal",
    "tasks-mrtr-input",
    "tasks-request-headers",
    "tasks-dispatch-and-envelope",
    "tasks-status-notifications",
    "tasks-required-task-error",
    "tasks-mrtr-composition",
];

#[tokio::test]
#[ignore = "exploration"]
async fn baseline() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("ioc-extract"))
        .agent("agent", &["ioc-extract.*"])
        .build()
        .await;
    let server = serve(&fx).await;
    let token = fx.token("agent", "T-1", &[]).await;
    let proxy = proxy::start(server.running.local_addr(), &token).await;
    let url = format!("{}/mcp", proxy.base);
    for (v, list) in [("2026-07-28", ALL_2026)] {
        let u = url.clone();
        let r = tokio::task::spawn_blocking(move || suite::run(&u, v, list))
            .await
            .unwrap();
        for (s, checks) in r {
            for c in checks {
                println!(
                    "{v} {s:40} {:50} {:8} {}",
                    c.id,
                    c.status,
                    c.message.chars().take(200).collect::<String>()
                );
            }
        }
    }
}
