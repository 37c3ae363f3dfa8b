//! The spans of a mediated call. Each constructor returns
//! [`Span::none`] when telemetry is off, so the call path pays one atomic
//! load per site and nothing else.
//!
//! * [`mcp_server`] / [`http_server`]: the server span (kind SERVER) of an
//!   MCP `tools/call` (OpenTelemetry's MCP conventions: named
//!   `tools/call {tool}`, `mcp.method.name`, `gen_ai.tool.name`,
//!   `gen_ai.operation.name = execute_tool`, `jsonrpc.request.id`,
//!   `mcp.protocol.version`, `network.transport`, `error.type`) or of an
//!   HTTP `/v1` call (`http.request.method`, `http.route`,
//!   `http.response.status_code`), its parent the caller's `traceparent`;
//! * [`call`]: `warrant.call` (INTERNAL) with warrant's attributes —
//!   agent, owner, task, token id, plugin and version, decision, layer,
//!   audit seq — under `warrant.`;
//! * [`stage`]: its children — `warrant.authorize`,
//!   `warrant.approval.wait`, `warrant.admit`, `warrant.sandbox`,
//!   `warrant.audit.append`.

use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::Span;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::audit::event::TraceRef;
use crate::telemetry::{SPAN_TARGET, tracing_on};

/// Make `span`'s parent the caller's trace context, when one was sent (a
/// caller that sent one wants the call traced: it is taken as sampled).
fn adopt(span: &Span, caller: Option<&TraceRef>) {
    let Some(t) = caller else { return };
    let mut carrier = std::collections::HashMap::new();
    carrier.insert(
        "traceparent".to_owned(),
        format!("00-{}-{}-01", t.trace_id, t.parent_id),
    );
    if let Some(s) = &t.state {
        carrier.insert("tracestate".to_owned(), s.clone());
    }
    let cx = TraceContextPropagator::new().extract(&carrier);
    if cx.span().span_context().is_valid() {
        let _ = span.set_parent(cx);
    }
}

/// The server span of an MCP `tools/call`.
pub fn mcp_server(
    tool: &str,
    request_id: &str,
    protocol_version: Option<&str>,
    transport: &'static str,
    caller: Option<&TraceRef>,
) -> Span {
    if !tracing_on() {
        return Span::none();
    }
    let span = tracing::info_span!(
        target: SPAN_TARGET,
        "tools/call",
        otel.name = format!("tools/call {tool}"),
        otel.kind = "server",
        mcp.method.name = "tools/call",
        gen_ai.tool.name = tool,
        gen_ai.operation.name = "execute_tool",
        jsonrpc.request.id = request_id,
        mcp.protocol.version = protocol_version,
        network.transport = transport,
        error.type = Empty,
        otel.status_code = Empty,
    );
    adopt(&span, caller);
    span
}

/// The server span of an HTTP `/v1` call.
pub fn http_server(
    method: &str,
    route: &'static str,
    tool: &str,
    caller: Option<&TraceRef>,
) -> Span {
    if !tracing_on() {
        return Span::none();
    }
    let span = tracing::info_span!(
        target: SPAN_TARGET,
        "http",
        otel.name = format!("{method} {route}"),
        otel.kind = "server",
        http.request.method = method,
        http.route = route,
        gen_ai.tool.name = tool,
        http.response.status_code = Empty,
        error.type = Empty,
        otel.status_code = Empty,
    );
    adopt(&span, caller);
    span
}

/// `warrant.call`, a child of the current span (the server's), or of the
/// caller's trace context when there is no current span (CLI, library).
pub fn call(tool: &str, channel: &'static str, call_id: &str, caller: Option<&TraceRef>) -> Span {
    if !tracing_on() {
        return Span::none();
    }
    let root = Span::current().is_none();
    let span = tracing::info_span!(
        target: SPAN_TARGET,
        "warrant.call",
        otel.name = format!("execute_tool {tool}"),
        otel.kind = "internal",
        gen_ai.operation.name = "execute_tool",
        gen_ai.tool.name = tool,
        warrant.call.id = call_id,
        warrant.channel = channel,
        warrant.agent = Empty,
        warrant.agent.owner = Empty,
        warrant.task = Empty,
        warrant.token.id = Empty,
        warrant.plugin = Empty,
        warrant.plugin.version = Empty,
        warrant.decision = Empty,
        warrant.decision.layer = Empty,
        warrant.audit.seq = Empty,
        error.type = Empty,
        otel.status_code = Empty,
    );
    if root {
        adopt(&span, caller);
    }
    span
}

/// A stage of a call (`warrant.authorize`, `warrant.sandbox`, …), a
/// child of the current span.
pub fn stage(name: &'static str) -> Span {
    if !tracing_on() {
        return Span::none();
    }
    tracing::info_span!(
        target: SPAN_TARGET,
        "warrant.stage",
        otel.name = name,
        otel.kind = "internal",
        warrant.audit.record = Empty,
        warrant.audit.seq = Empty,
        error.type = Empty,
    )
}

/// The trace `span` belongs to, as the audit record keeps it: its trace id
/// and its own span id (`None` when telemetry is off).
pub fn trace_of(span: &Span) -> Option<TraceRef> {
    if span.is_none() {
        return None;
    }
    let cx = span.context();
    let sc = cx.span().span_context().clone();
    sc.is_valid().then(|| TraceRef {
        trace_id: sc.trace_id().to_string(),
        parent_id: sc.span_id().to_string(),
        state: None,
    })
}

/// Record who made the current call (`warrant.call`'s agent, owner, task,
/// token id, plugin version) on it.
pub fn attribute(who: &crate::audit::event::Attribution) {
    if !tracing_on() {
        return;
    }
    let span = Span::current();
    for (field, value) in [
        ("warrant.agent", &who.agent),
        ("warrant.agent.owner", &who.agent_owner),
        ("warrant.task", &who.task),
        ("warrant.token.id", &who.token_id),
        ("warrant.plugin.version", &who.plugin_version),
    ] {
        if let Some(v) = value {
            span.record(field, v.as_str());
        }
    }
}

/// Mark `span` failed with `error_type` (e.g. the refusing layer, or
/// `tool_error`).
pub fn failed(span: &Span, error_type: &str) {
    if !span.is_none() {
        span.record("error.type", error_type);
        span.record("otel.status_code", "ERROR");
    }
}
