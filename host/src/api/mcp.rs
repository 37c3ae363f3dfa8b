//! The MCP server: an rmcp [`ServerHandler`] over a [`Host`].
//!
//! `tools/list` shows exactly [`Host::tools_for`] the presented task token;
//! `tools/call` is [`Host::call_cancellable`] on channel `mcp`. Tool names are
//! `plugin__tool` — valid for the major LLM APIs (`^[a-zA-Z0-9_-]{1,64}$`)
//! and unambiguous, because plugin ids never contain `_`. Refusals, tool
//! errors and held calls come back as tool results with `isError: true` and
//! the operator-readable reason; only a refused token on `tools/list` is a
//! protocol error, since there is no result to put it in.

use std::sync::Arc;

use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorCode,
    Implementation, JsonObject, ListToolsResult, MetaObject, PaginatedRequestParams,
    ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, ServerHandler};
use serde_json::{Value, json};

use crate::api::call;
use crate::api::metrics::Metrics;
use crate::api::security::bearer;
use crate::authz::Refusal;
use crate::vocab::Impact;
use crate::{CallError, CallRequest, CallResponse, Host, ToolView};

/// JSON-RPC error code for a task token (or agent, or host state) that does
/// not allow listing tools. (Server-defined range; -32000 to -32003 and
/// -32020 to -32042 are taken by MCP itself.)
pub const REFUSED: ErrorCode = ErrorCode(-32010);

const INSTRUCTIONS: &str = "warrant runs each tool as a sandboxed WebAssembly plugin and checks every call: \
your task token (it decides which tools you see here), your agent's grant, the operator's policy on the \
actual arguments, and for high-impact tools a named human's approval. A refused call returns an error \
result saying which layer refused it and why. A call that needs approval returns \"pending approval \
apr-…\": retry the same call with the same arguments once a human has approved it. Every call is \
recorded in an audit chain; its id is in the result's _meta (warrant/call_id, warrant/audit_seq). \
You may put what you are doing in the request's _meta as warrant/prompt (text) and warrant/context \
(any JSON); it is recorded, never trusted.";

/// The MCP name of `plugin.tool`: `plugin__tool`.
pub fn mcp_tool_name(qualified: &str) -> String {
    qualified.replacen('.', "__", 1)
}

/// The `plugin.tool` an MCP tool name stands for (`None` if it has no `__`).
pub fn qualified_tool_name(mcp: &str) -> Option<String> {
    mcp.split_once("__").map(|(p, t)| format!("{p}.{t}"))
}

/// Where the task token of a request comes from.
#[derive(Debug, Clone)]
enum TokenSource {
    /// One token for the whole session (stdio).
    Fixed(String),
    /// `Authorization: Bearer` on each HTTP request.
    PerRequest,
}

/// An MCP server over a [`Host`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct McpServer {
    host: Host,
    metrics: Arc<Metrics>,
    token: TokenSource,
}

impl McpServer {
    /// A server whose every request acts under `token` (stdio).
    pub fn with_token(host: Host, metrics: Arc<Metrics>, token: String) -> Self {
        Self {
            host,
            metrics,
            token: TokenSource::Fixed(token),
        }
    }

    /// A server that reads the task token from each HTTP request's
    /// `Authorization: Bearer` header (streamable HTTP).
    pub fn per_request(host: Host, metrics: Arc<Metrics>) -> Self {
        Self {
            host,
            metrics,
            token: TokenSource::PerRequest,
        }
    }

    fn token(&self, ctx: &RequestContext<RoleServer>) -> String {
        match &self.token {
            TokenSource::Fixed(t) => t.clone(),
            TokenSource::PerRequest => ctx
                .extensions
                .get::<http::request::Parts>()
                .and_then(|p| bearer(&p.headers))
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

/// A tool's input schema as every client's schema converter reads it: a
/// nullable type (`"type": ["string", "null"]`, or `anyOf` with
/// `{"type": "null"}`), which Rust's `Option` fields produce, becomes its
/// non-null type. Such a property is optional already (not `required`), so
/// nothing a client may send changes; the host still checks the signed
/// schema's own meaning.
pub(crate) fn portable(v: Value) -> Value {
    match v {
        Value::Object(mut m) => {
            if let Some(Value::Array(types)) = m.get("type") {
                let rest: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
                if rest.len() == 1 {
                    m.insert(
                        "type".into(),
                        rest.into_iter().next().unwrap_or(Value::Null),
                    );
                }
            }
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(alts)) = m.get(key) {
                    let rest: Vec<Value> = alts
                        .iter()
                        .filter(|a| a.get("type").and_then(Value::as_str) != Some("null"))
                        .cloned()
                        .collect();
                    if rest.len() == 1 && alts.len() == 2 {
                        m.remove(key);
                        if let Some(Value::Object(only)) = rest.into_iter().next() {
                            for (k, v) in only {
                                m.entry(k).or_insert(v);
                            }
                        }
                    }
                }
            }
            if m.get("default") == Some(&Value::Null) {
                m.remove("default");
            }
            Value::Object(m.into_iter().map(|(k, v)| (k, portable(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(portable).collect()),
        other => other,
    }
}

/// The MCP view of a tool: name, title, description, input schema (always
/// an object schema) and hints from its impact level.
pub(crate) fn mcp_tool(v: &ToolView) -> Tool {
    let mut schema = match serde_json::from_str::<Value>(&v.input_schema).map(portable) {
        Ok(Value::Object(m)) => m,
        _ => JsonObject::new(),
    };
    schema.entry("type").or_insert_with(|| json!("object"));
    let (read_only, destructive) = match v.impact {
        Impact::Read => (true, false),
        Impact::Write => (false, false),
        Impact::High => (false, true),
    };
    let hints = ToolAnnotations::with_title(v.qualified.clone())
        .read_only(read_only)
        .destructive(destructive);
    let mut meta = MetaObject::new();
    meta.insert("warrant/tool".into(), json!(v.qualified));
    meta.insert("warrant/impact".into(), json!(v.impact.as_str()));
    Tool::new(
        mcp_tool_name(&v.qualified),
        v.description.clone(),
        Arc::new(schema),
    )
    .with_title(v.qualified.clone())
    .with_annotations(hints)
    .with_meta(meta)
}

/// The agent's prompt and context from a request's `_meta`
/// (`warrant/prompt`, `warrant/context`; also `prompt`, `context`).
fn agent_meta(meta: &JsonObject) -> (Option<String>, Option<Value>) {
    let pick = |k: &str| meta.get(&format!("warrant/{k}")).or_else(|| meta.get(k));
    let prompt = pick("prompt").map(|p| match p {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    (prompt, pick("context").cloned())
}

/// A call's answer as an MCP tool result.
pub(crate) fn tool_result(resp: CallResponse) -> CallToolResult {
    let mut meta = MetaObject::new();
    meta.insert("warrant/call_id".into(), json!(resp.call_id));
    meta.insert("warrant/audit_seq".into(), json!(resp.audit_seq));
    match resp.outcome {
        Ok(out) => {
            meta.insert("warrant/outcome".into(), json!("ok"));
            let structured = match serde_json::from_str::<Value>(&out) {
                Ok(v @ Value::Object(_)) => Some(v),
                _ => None,
            };
            let mut r = CallToolResult::success(vec![ContentBlock::text(out)]);
            r.structured_content = structured;
            r.with_meta(Some(meta))
        }
        Err(e) => {
            meta.insert("warrant/outcome".into(), json!(e.kind()));
            if let CallError::Refused(r) = &e {
                meta.insert("warrant/layer".into(), json!(r.layer()));
            }
            if let CallError::Refused(Refusal::PendingApproval { approval_id, .. }) = &e {
                meta.insert("warrant/approval_id".into(), json!(approval_id));
            }
            CallToolResult::error(vec![ContentBlock::text(e.to_string())]).with_meta(Some(meta))
        }
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("warrant", env!("CARGO_PKG_VERSION"))
                    .with_title("warrant: sandboxed, audited agent tools"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let tools = self.host.tools_for(&self.token(&ctx)).await.map_err(|r| {
            ErrorData::new(REFUSED, r.to_string(), Some(json!({"layer": r.layer()})))
        })?;
        // The list depends on the token: nobody else may cache it.
        Ok(
            ListToolsResult::with_all_items(tools.iter().map(mcp_tool).collect())
                .with_ttl_ms(0)
                .with_cache_scope(CacheScope::Private),
        )
    }

    async fn call_tool(
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
        let req = CallRequest {
            token: self.token(&ctx),
            tool: qualified_tool_name(&request.name).unwrap_or_else(|| request.name.to_string()),
            input: Value::Object(request.arguments.unwrap_or_default()).to_string(),
            prompt,
            context,
            channel: "mcp",
            progress: None,
        };
        // A client that sent a progress token hears, about once a second,
        // that its call is held and for which approval.
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
        let resp = call::spawn(&self.host, &self.metrics, req)
            .finish_unless(ctx.ct.cancelled(), "the client cancelled the request")
            .await;
        if let Some((_, task)) = progress {
            task.abort();
        }
        Ok(CallToolResponse::Complete(tool_result(resp)))
    }
}

/// Turn a held call's progress into MCP progress notifications: the
/// seconds waited of the most it waits, and which approval it waits for.
async fn forward_progress(
    peer: rmcp::Peer<RoleServer>,
    token: rmcp::model::ProgressToken,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<crate::mediation::CallProgress>,
) {
    while let Some(p) = rx.recv().await {
        let message = format!(
            "held for approval {}: needs {} of {}",
            p.approval_id,
            p.required,
            p.approvers.join(", ")
        );
        let param =
            rmcp::model::ProgressNotificationParam::new(token.clone(), p.waited.as_secs_f64())
                .with_total(p.wait.as_secs_f64())
                .with_message(message);
        if peer.notify_progress(param).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_both_ways() {
        assert_eq!(mcp_tool_name("ioc-extract.extract"), "ioc-extract__extract");
        assert_eq!(mcp_tool_name("p.search_v2"), "p__search_v2");
        assert_eq!(
            qualified_tool_name("p__search__v2").as_deref(),
            Some("p.search__v2")
        );
        assert_eq!(qualified_tool_name("nounderscores"), None);
        let longest = format!("{}.{}", "p".repeat(32), "t".repeat(30));
        assert!(mcp_tool_name(&longest).len() <= 64);
    }

    #[test]
    fn held_calls_carry_their_approval_id() {
        let r = tool_result(CallResponse {
            call_id: "call-1".into(),
            audit_seq: Some(7),
            outcome: Err(CallError::Refused(Refusal::PendingApproval {
                approval_id: "apr-1".into(),
                approvers: "carol".into(),
                why: "high".into(),
            })),
        });
        assert_eq!(r.is_error, Some(true));
        let meta = r.meta.unwrap();
        assert_eq!(meta.get("warrant/approval_id"), Some(&json!("apr-1")));
        assert_eq!(meta.get("warrant/audit_seq"), Some(&json!(7)));
    }
}
