//! MCP `tools/call` itself: the call request made from the MCP request
//! (the agent's prompt, context, trace and correlation id from `_meta`),
//! run as a task for clients that speak the tasks extension, otherwise
//! with progress notifications while it is held.

use rmcp::ErrorData;
use rmcp::model::{CallToolRequestParams, CallToolResponse, JsonObject};
use rmcp::service::{RequestContext, RoleServer};
use serde_json::Value;

use crate::CallRequest;
use crate::api::call;
use crate::api::mcp::{McpServer, agent_meta, forward_progress};
use crate::api::mcp_observe::trace_meta;
use crate::api::mcp_task_view::created;
use crate::api::mcp_view::tool_result;
use crate::api::tasks::Started;

/// The caller's correlation id: `_meta` `warrant/correlation_id` (or
/// `correlation_id`), else the HTTP request's `X-Correlation-ID` or
/// `X-Request-ID`.
fn correlation_meta(meta: Option<&JsonObject>, ctx: &RequestContext<RoleServer>) -> Option<String> {
    let from = |m: &JsonObject| {
        m.get("warrant/correlation_id")
            .or_else(|| m.get("correlation_id"))
            .and_then(Value::as_str)
            .and_then(crate::mediation::correlation_id)
    };
    meta.and_then(from).or_else(|| from(&ctx.meta)).or_else(|| {
        ctx.extensions
            .get::<http::request::Parts>()
            .and_then(|p| crate::api::v1::correlation_of(&p.headers))
    })
}

impl McpServer {
    /// `tools/call`, inside its server span.
    pub(crate) async fn run_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let (mut prompt, mut context) = agent_meta(&ctx.meta);
        if let Some(m) = &request.meta {
            let (p, c) = agent_meta(m);
            prompt = prompt.or(p);
            context = context.or(c);
        }
        let token = self.token(&ctx);
        let trace = request
            .meta
            .as_ref()
            .and_then(|m| trace_meta(m))
            .or_else(|| trace_meta(&ctx.meta));
        let req = CallRequest {
            token: token.clone(),
            tool: self
                .host
                .registry()
                .qualified_of_mcp(&request.name)
                .unwrap_or_else(|| request.name.to_string()),
            // Parsed once, by rmcp, from a message already checked for
            // keys named twice.
            input: crate::CallInput::from_value(Value::Object(
                request.arguments.unwrap_or_default(),
            )),
            prompt,
            context,
            channel: "mcp",
            progress: None,
            wait: None,
            // What the HTTP server found of the request's DPoP proof.
            sender: ctx
                .extensions
                .get::<http::request::Parts>()
                .and_then(|p| p.extensions.get::<crate::authz::Sender>())
                .cloned()
                .unwrap_or_default(),
            trace,
            correlation: correlation_meta(
                request.meta.as_ref().map(|m| -> &JsonObject { m }),
                &ctx,
            ),
        };
        // A client that speaks the tasks extension gets a held call as a
        // task at once; the call waits for its decision meanwhile.
        if ctx
            .client_capabilities()
            .is_some_and(|c| c.supports_tasks())
            && let Ok(agent) = self.host.token_agent(&token).await
        {
            let started = self
                .tasks
                .start(&self.host, agent, req, ctx.ct.cancelled())
                .await;
            return Ok(match started {
                Started::Done(resp) => CallToolResponse::Complete(tool_result(resp)),
                Started::Task(view) => CallToolResponse::Task(created(&view)),
            });
        }
        // Otherwise a client that sent a progress token hears, about once
        // a second, that its call is held and for which approval.
        let progress = ctx.meta.get_progress_token().map(|token| {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            (
                tx,
                tokio::spawn(forward_progress(ctx.peer.clone(), token, rx)),
            )
        });
        let req = CallRequest {
            progress: progress.as_ref().map(|(tx, _)| tx.clone()),
            ..req
        };
        let resp = call::start(&self.host, req)
            .finish_unless(ctx.ct.cancelled(), "the client cancelled the request")
            .await;
        if let Some((_, task)) = progress {
            task.abort();
        }
        Ok(CallToolResponse::Complete(tool_result(resp)))
    }
}
