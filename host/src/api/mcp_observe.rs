//! What an MCP `tools/call` shows to telemetry: its server span (named and
//! attributed as OpenTelemetry's MCP semantic conventions say, its parent
//! the caller's `params._meta.traceparent`) and
//! `mcp.server.operation.duration`.

use std::time::Instant;

use rmcp::ErrorData;
use rmcp::model::{CallToolRequestParams, CallToolResponse};
use rmcp::service::{RequestContext, RoleServer};
use tracing::Span;

use crate::Host;
use crate::telemetry::spans;

/// One `tools/call` being served.
pub(crate) struct Served<'h> {
    host: &'h Host,
    tool: String,
    version: Option<String>,
    span: Span,
    started: Instant,
}

impl<'h> Served<'h> {
    /// Start serving `request`.
    pub(crate) fn start(
        host: &'h Host,
        request: &CallToolRequestParams,
        ctx: &RequestContext<RoleServer>,
    ) -> Self {
        let parts = ctx.extensions.get::<http::request::Parts>();
        // Stateless (2026-07-28) requests say their version in a header;
        // sessions said it when they initialised.
        let version = parts
            .and_then(|p| p.headers.get("mcp-protocol-version"))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| ctx.peer.peer_info().map(|i| i.protocol_version.to_string()));
        let tool = request.name.to_string();
        let span = if crate::telemetry::tracing_on() {
            let caller = request
                .meta
                .as_ref()
                .and_then(|m| trace_meta(m))
                .or_else(|| trace_meta(&ctx.meta));
            spans::mcp_server(
                &tool,
                &ctx.id.to_string(),
                version.as_deref(),
                if parts.is_some() { "tcp" } else { "pipe" },
                caller.as_ref(),
            )
        } else {
            Span::none()
        };
        Self {
            host,
            tool,
            version,
            span,
            started: Instant::now(),
        }
    }

    /// The span to run the call in.
    pub(crate) fn span(&self) -> Span {
        self.span.clone()
    }

    /// The request was answered with `result`.
    pub(crate) fn finish(self, result: &Result<CallToolResponse, ErrorData>) {
        let error = match result {
            Ok(CallToolResponse::Complete(r)) if r.is_error == Some(true) => Some("tool_error"),
            Ok(_) => None,
            Err(_) => Some("jsonrpc_error"),
        };
        if let Some(e) = error {
            spans::failed(&self.span, e);
        }
        self.host.meters().mcp_operation(
            "tools/call",
            Some(&self.tool),
            error,
            self.version.as_deref(),
            self.started.elapsed(),
        );
    }
}

/// The caller's W3C trace context from a request's `_meta` (`traceparent`,
/// `tracestate`, as MCP's 2026-07-28 revision and OpenTelemetry's MCP
/// conventions place it).
pub(crate) fn trace_meta(meta: &rmcp::model::JsonObject) -> Option<crate::audit::event::TraceRef> {
    let text = |k: &str| meta.get(k).and_then(serde_json::Value::as_str);
    crate::audit::event::TraceRef::parse(text("traceparent")?, text("tracestate"))
}
