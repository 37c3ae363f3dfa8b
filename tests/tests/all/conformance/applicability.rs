//! Which of the suite's server scenarios apply to warrant, at which
//! protocol version, and why the others do not. `host/docs/mcp-and-oauth.md`
//! must list every entry of [`NOT_APPLICABLE`] (a test checks it).

/// The scenarios run, by protocol version: every check of each must pass,
/// except the checks [`NOT_APPLICABLE`] names.
pub const RUN: &[(&str, &[&str])] = &[
    (
        "2025-11-25",
        &[
            "server-initialize",
            "server-session-lifecycle",
            "ping",
            "tools-list",
            "tools-call-simple-text",
            "tools-call-error",
            "json-schema-2020-12",
            "server-sse-multiple-streams",
            "dns-rebinding-protection",
        ],
    ),
    (
        "2026-07-28",
        &[
            "server-stateless",
            "caching",
            "tools-list",
            "tools-call-simple-text",
            "tools-call-error",
            "json-schema-2020-12",
            "server-sse-multiple-streams",
            "dns-rebinding-protection",
            "http-header-validation",
            "tasks-capability-negotiation",
            "tasks-dispatch-and-envelope",
        ],
    ),
];

/// (scenario, check — `*` for the whole scenario —, why it does not apply).
pub const NOT_APPLICABLE: &[(&str, &str, &str)] = &[
    // What a tools host does not offer.
    ("prompts-*", "*", "warrant offers tools only: no prompts"),
    (
        "resources-*",
        "*",
        "warrant offers tools only: no resources",
    ),
    (
        "sep-2164-resource-not-found",
        "*",
        "warrant offers tools only: no resources",
    ),
    (
        "completion-complete",
        "*",
        "no prompts or resources, so nothing to complete",
    ),
    (
        "sep-2640-skills-*",
        "*",
        "the skills extension rides on resources, which warrant does not offer",
    ),
    (
        "logging-set-level",
        "*",
        "plugins log to the operator (the host's log, attributed to the call), not to the agent; logging is deprecated in 2026-07-28",
    ),
    (
        "tools-call-with-logging",
        "*",
        "plugins log to the operator, not to the agent",
    ),
    // What the WIT world (warrant:plugin@0.1.0) cannot express.
    (
        "tools-call-image",
        "*",
        "a tool returns JSON text: the WIT world has no image content",
    ),
    (
        "tools-call-audio",
        "*",
        "a tool returns JSON text: the WIT world has no audio content",
    ),
    (
        "tools-call-embedded-resource",
        "*",
        "a tool returns JSON text: the WIT world has no embedded resources",
    ),
    (
        "tools-call-mixed-content",
        "*",
        "a tool returns JSON text: the WIT world has no image or resource content",
    ),
    (
        "tools-call-with-progress",
        "*",
        "a tool cannot report progress through the WIT world (held calls do report it, and become tasks)",
    ),
    (
        "tools-call-sampling",
        "*",
        "a tool cannot ask the client for anything mid-call (sampling is deprecated in 2026-07-28)",
    ),
    (
        "tools-call-elicitation",
        "*",
        "a tool cannot ask the client for input mid-call; warrant asks a named human through its approval gate instead",
    ),
    (
        "elicitation-sep1034-defaults",
        "*",
        "a tool cannot ask the client for input mid-call",
    ),
    (
        "elicitation-sep1330-enums",
        "*",
        "a tool cannot ask the client for input mid-call",
    ),
    (
        "input-required-result-*",
        "*",
        "multi round-trip requests need a tool that asks the client for input; the WIT world has no such call",
    ),
    (
        "tasks-mrtr-*",
        "*",
        "tasks that ask the client for input (input_required) need a tool that asks; held calls ask a human, not the client",
    ),
    (
        "server-sse-polling",
        "*",
        "pending in the suite; needs a tool that closes its own stream",
    ),
    (
        "http-custom-header-server-validation",
        "*",
        "pending in the suite; no warrant tool declares x-mcp-header parameters",
    ),
    (
        "server-stateless",
        "sep-2575-server-rejects-undeclared-capability",
        "needs a tool that requires the client's sampling capability; a warrant tool requires nothing of the client",
    ),
    (
        "server-stateless",
        "sep-2575-missing-capability-http-400",
        "needs a tool that requires the client's sampling capability",
    ),
    (
        "server-stateless",
        "sep-2575-server-sends-prompts-list-changed-on-subscription",
        "no prompts",
    ),
    (
        "server-stateless",
        "sep-2575-server-sends-tools-list-changed-on-subscription",
        "needs the suite's tool test_trigger_tool_change, which changes the server's tool list; warrant's changes with stop buttons, reloads and releases (tested in lists::a_stateless_client_listens_for_tool_list_changes)",
    ),
    (
        "caching",
        "sep-2549-prompts-list-caching-hints",
        "no prompts",
    ),
    (
        "caching",
        "sep-2549-resources-list-caching-hints",
        "no resources",
    ),
    (
        "caching",
        "sep-2549-resources-templates-list-caching-hints",
        "no resources",
    ),
    (
        "caching",
        "sep-2549-resources-read-caching-hints",
        "no resources",
    ),
    (
        "server-stateless",
        "sep-2575-http-server-no-independent-requests-on-stream",
        "needs the suite's diagnostic tool test_streaming_elicitation, which asks the client mid-call",
    ),
    (
        "server-stateless",
        "sep-2575-server-no-log-without-loglevel",
        "needs the suite's diagnostic tool test_logging_tool, which logs to the client",
    ),
    // The tasks extension: warrant makes a task of a held call only.
    (
        "tasks-lifecycle",
        "*",
        "needs tools the server runs as tasks without a hold (slow_compute, failing_job); warrant makes a task of a call held for approval only, which the suite cannot approve",
    ),
    (
        "tasks-wire-fields",
        "*",
        "needs a tool the server runs as a task without a hold",
    ),
    (
        "tasks-request-state-removal",
        "*",
        "needs a tool the server runs as a task without a hold",
    ),
    (
        "tasks-request-headers",
        "*",
        "needs a tool the server runs as a task without a hold",
    ),
    (
        "tasks-required-task-error",
        "*",
        "needs a tool that must run as a task; any warrant tool can answer at once",
    ),
    (
        "tasks-status-notifications",
        "*",
        "skipped by the suite itself (its harness needs a rewrite)",
    ),
    (
        "tasks-capability-negotiation",
        "tasks-per-request-meta-opt-in",
        "needs a tool the server runs as a task without a hold",
    ),
    (
        "tasks-dispatch-and-envelope",
        "tasks-server-directed-creation-no-hint",
        "needs a tool the server runs as a task without a hold",
    ),
    (
        "tasks-dispatch-and-envelope",
        "sep-2663-durable-create-strong-consistency",
        "needs a tool the server runs as a task without a hold",
    ),
];

/// Whether a check of a scenario is not applicable.
pub fn not_applicable(scenario: &str, check: &str) -> bool {
    NOT_APPLICABLE.iter().any(|(s, c, _)| {
        let scenario_matches = match s.strip_suffix('*') {
            Some(prefix) => scenario.starts_with(prefix),
            None => *s == scenario,
        };
        scenario_matches && (*c == "*" || *c == check)
    })
}
