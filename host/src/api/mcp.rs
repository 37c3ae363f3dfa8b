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
    CacheScope, CallToolRequestParams, CallToolResponse, CancelTaskParams, GetTaskParams,
    GetTaskResult, Implementation, InitializeRequestParams, InitializeResult, JsonObject,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, UpdateTaskParams,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, ServerHandler};
use serde_json::{Value, json};

use crate::Host;
use crate::api::lists::ListWatch;
use crate::api::mcp_task_view::detailed;
use crate::api::mcp_view::{REFUSED, mcp_tool};
use crate::api::security::bearer;
use crate::api::tasks::Tasks;
use crate::authz::Refusal;

const INSTRUCTIONS: &str = "warrant runs each tool as a sandboxed WebAssembly plugin and checks every call: \
your task token (it decides which tools you see here), your agent's grant, the operator's policy on the \
actual arguments, and for high-impact tools a named human's approval. A refused call returns an error \
result saying which layer refused it and why. A call that needs approval becomes a task (when your \
client speaks the tasks extension) that completes with the result once a human approves it, or fails \
with the reason; otherwise it returns \"pending approval apr-…\": retry the same call with the same \
arguments once a human has approved it. Every call is \
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

/// The agent's prompt and context from a request's `_meta`
/// (`warrant/prompt`, `warrant/context`; also `prompt`, `context`).
pub(crate) fn agent_meta(meta: &JsonObject) -> (Option<String>, Option<Value>) {
    let pick = |k: &str| meta.get(&format!("warrant/{k}")).or_else(|| meta.get(k));
    let prompt = pick("prompt").map(|p| match p {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    (prompt, pick("context").cloned())
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
    pub(crate) host: Host,
    token: TokenSource,
    /// Held calls as tasks, shared by every request of one server.
    pub(crate) tasks: Arc<Tasks>,
    /// Sessions told when their tool list changes.
    lists: Arc<ListWatch>,
}

impl McpServer {
    /// A server whose every request acts under `token` (stdio).
    pub fn with_token(host: Host, token: String) -> Self {
        Self {
            host,
            token: TokenSource::Fixed(token),
            tasks: Arc::default(),
            lists: Arc::default(),
        }
    }

    /// A server that reads the task token from each HTTP request's
    /// `Authorization: Bearer` header (streamable HTTP).
    pub fn per_request(host: Host) -> Self {
        Self {
            host,
            token: TokenSource::PerRequest,
            tasks: Arc::default(),
            lists: Arc::default(),
        }
    }

    /// The same server, keeping its tasks in `tasks` and its watched
    /// sessions in `lists` (shared by every session of one HTTP server).
    pub(crate) fn with_shared(mut self, tasks: Arc<Tasks>, lists: Arc<ListWatch>) -> Self {
        self.tasks = tasks;
        self.lists = lists;
        self
    }

    /// The agent of the request's token, or the token's refusal (a halt
    /// or quarantine does not keep an agent from reading its tasks).
    async fn agent(&self, ctx: &RequestContext<RoleServer>) -> Result<String, ErrorData> {
        self.host
            .token_owner(&self.token(ctx))
            .await
            .map_err(refused)
    }

    pub(crate) fn token(&self, ctx: &RequestContext<RoleServer>) -> String {
        self.token_in(&ctx.extensions)
    }

    fn token_in(&self, extensions: &rmcp::model::Extensions) -> String {
        match &self.token {
            TokenSource::Fixed(t) => t.clone(),
            TokenSource::PerRequest => extensions
                .get::<http::request::Parts>()
                .and_then(|p| bearer(&p.headers))
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .enable_extensions()
                .enable_tasks()
                .build(),
        )
        .with_server_info(
            Implementation::new("warrant", env!("CARGO_PKG_VERSION"))
                .with_title("warrant: sandboxed, audited agent tools"),
        )
        .with_instructions(INSTRUCTIONS)
    }

    fn accepted_subscription_filter(
        &self,
        _requested: &rmcp::model::SubscriptionFilter,
    ) -> Option<rmcp::model::SubscriptionFilter> {
        Some(
            rmcp::model::SubscriptionFilter::builder()
                .tools_list_changed()
                .build(),
        )
    }

    async fn listen(&self, sub: rmcp::service::SubscriptionContext) -> Result<(), ErrorData> {
        let token = self.token(sub.request_context());
        crate::api::lists::listen(&self.host, token, sub).await;
        Ok(())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let tools = self
            .host
            .tools_for(&self.token(&ctx))
            .await
            .map_err(refused)?;
        let registry = self.host.registry();
        let mut tools: Vec<_> = tools
            .iter()
            .map(|t| mcp_tool(t, registry.mcp_name_of(&t.qualified)))
            .collect();
        // A deterministic order, whatever order the plugins loaded in.
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        // The list depends on the token: nobody else may cache it.
        Ok(ListToolsResult::with_all_items(tools)
            .with_ttl_ms(0)
            .with_cache_scope(CacheScope::Private))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let served = crate::api::mcp_observe::Served::start(&self.host, &request, &ctx);
        let result =
            tracing::Instrument::instrument(self.run_tool(request, ctx), served.span()).await;
        served.finish(&result);
        result
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        ctx.peer.set_peer_info(request.clone());
        // A session hears when what its token may see changes.
        let token = self.token(&ctx);
        self.lists.watch(&self.host, ctx.peer.clone(), token).await;
        self.negotiate_initialize(&request)
    }

    async fn get_task(
        &self,
        request: GetTaskParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        let agent = self.agent(&ctx).await?;
        let view = self
            .tasks
            .get(&agent, &request.task_id)
            .await
            .map_err(|e| ErrorData::invalid_params(e.to_string(), None))?;
        Ok(GetTaskResult::new(detailed(&view)))
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let agent = self.agent(&ctx).await?;
        self.tasks
            .cancel(&agent, &request.task_id)
            .await
            .map_err(|e| ErrorData::invalid_params(e.to_string(), None))
    }

    async fn update_task(
        &self,
        request: UpdateTaskParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        // A held call asks nothing of the agent (a human decides), so
        // there is never an input request to answer: responses are
        // ignored, as the extension says of unknown keys.
        let agent = self.agent(&ctx).await?;
        self.tasks
            .get(&agent, &request.task_id)
            .await
            .map(|_| ())
            .map_err(|e| ErrorData::invalid_params(e.to_string(), None))
    }
}

fn refused(r: Refusal) -> ErrorData {
    ErrorData::new(REFUSED, r.to_string(), Some(json!({"layer": r.layer()})))
}

/// Turn a held call's progress into MCP progress notifications: the
/// seconds waited of the most it waits, and which approval it waits for.
pub(crate) async fn forward_progress(
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
}
