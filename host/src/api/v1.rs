//! The HTTP/JSON API for agents that do not speak MCP, at `/v1`. The task
//! token is `Authorization: Bearer` on every request.
//!
//! - `GET /v1/tools` — the tools the token may call.
//! - `POST /v1/tools/{plugin.tool}/call` with `{"input": {…}, "prompt"?, "context"?}`
//!   → `200 {"call_id", "audit_seq", "output"}`, or an error body
//!   `{"error": {"layer", "message", "outcome", "approval_id"?}, "call_id", "audit_seq"}`:
//!   401 token refused, 403 refused by another layer, 202 held for approval
//!   (a task to poll: `Location: /v1/tasks/{task_id}`, see `v1_tasks`),
//!   404 unknown tool, 429 rate limit or busy, 422 the input or the tool
//!   rejected it, 502 the tool failed or crashed, 504 it ran out of time,
//!   503 cancelled or the host cannot serve, 500 the outcome could not be
//!   audited. A body naming one key twice is refused (400).
//! - `GET /v1/calls/{call_id}` — the audit records of one of the token's
//!   agent's calls.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::answer::{call_answer, token};
use crate::api::app::AppState;
use crate::api::call;
use crate::api::security::ApiFault;
use crate::api::tasks::Started;
use crate::authz::Refusal;
use crate::vocab::parse_strict;
use crate::{CallError, CallRequest};

/// The agent routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/tools", get(tools))
        .route("/v1/tools/{tool}/call", post(call_tool))
        .route("/v1/calls/{call_id}", get(call_records))
}

#[derive(Debug, Serialize)]
struct ToolItem {
    name: String,
    mcp_name: String,
    plugin: String,
    tool: String,
    description: String,
    impact: &'static str,
    input_schema: Value,
}

#[derive(Debug, Serialize)]
struct ToolList {
    tools: Vec<ToolItem>,
}

async fn tools(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<axum::Json<ToolList>, ApiFault> {
    let list = s.host.tools_for(&token(&headers)).await?;
    let registry = s.host.registry();
    Ok(axum::Json(ToolList {
        tools: list
            .into_iter()
            .map(|t| ToolItem {
                mcp_name: registry.mcp_name_of(&t.qualified),
                name: t.qualified,
                plugin: t.plugin,
                tool: t.name,
                description: t.description,
                impact: t.impact.as_str(),
                input_schema: serde_json::from_str(&t.input_schema)
                    .map(crate::api::mcp_view::portable)
                    .unwrap_or(Value::Null),
            })
            .collect(),
    }))
}

/// The body of a call.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallBody {
    #[serde(default = "empty_object")]
    input: Value,
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    context: Option<Value>,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// `POST /v1/tools/{tool}/call`, in its server span (HTTP semantic
/// conventions; the parent is the caller's `traceparent`).
async fn call_tool(
    state: State<AppState>,
    Path(tool): Path<String>,
    sender: Option<axum::Extension<crate::authz::Sender>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiFault> {
    let span = crate::telemetry::spans::http_server(
        "POST",
        "/v1/tools/{tool}/call",
        &tool,
        trace_of(&headers).as_ref(),
    );
    let answer = tracing::Instrument::instrument(
        serve_call(state, tool, sender, headers, body),
        span.clone(),
    )
    .await;
    if !span.is_none() {
        let status = match &answer {
            Ok(r) => r.status(),
            Err(f) => f.status(),
        };
        span.record("http.response.status_code", i64::from(status.as_u16()));
        if status.is_client_error() || status.is_server_error() {
            crate::telemetry::spans::failed(&span, status.as_str());
        }
    }
    answer
}

async fn serve_call(
    State(s): State<AppState>,
    tool: String,
    sender: Option<axum::Extension<crate::authz::Sender>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiFault> {
    let sender = sender.map(|axum::Extension(s)| s).unwrap_or_default();
    let shape = "the body must be {\"input\": {…}, \"prompt\"?: \"…\", \"context\"?: …}";
    let bad = |why: String| {
        ApiFault::new(
            StatusCode::BAD_REQUEST,
            "request",
            format!("{shape}: {why}"),
        )
    };
    let text = std::str::from_utf8(&body).map_err(|e| bad(e.to_string()))?;
    // Parsed strictly: a key named twice (at any depth) is refused here,
    // before anything reads the arguments.
    let value = parse_strict(text).map_err(|e| bad(e.to_string()))?;
    let body: CallBody = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
    let asked = tool.clone();
    let req = CallRequest {
        token: token(&headers),
        tool,
        input: crate::CallInput::from_value(body.input),
        prompt: body.prompt,
        context: body.context,
        channel: "http",
        progress: None,
        wait: None,
        sender: sender.clone(),
        trace: trace_of(&headers),
        correlation: correlation_of(&headers),
    };
    // A held call is answered at once, as a task to poll (202); the call
    // waits for its decision meanwhile. If the client disconnects before
    // any answer, axum drops this future and the call is cancelled (and
    // audited as such).
    let stepped_up = s
        .host
        .admit(&req.token)
        .await
        .is_ok_and(|t| t.via.is_some());
    let resp = match s.host.token_agent(&req.token).await {
        Ok(agent) => {
            let pending = std::future::pending();
            match s.tasks.start(&s.host, agent, req, pending).await {
                Started::Done(resp) => resp,
                Started::Task(view) => {
                    return Ok(crate::api::v1_tasks::accepted(&s, &headers, &view));
                }
            }
        }
        Err(_) => call::start(&s.host, req).finish().await,
    };
    // A token its sender may not present: RFC 9449's 401 (the refusal is
    // recorded like any refused call).
    if let Err(CallError::Refused(r @ Refusal::Sender { .. })) = &resp.outcome {
        return Ok(crate::api::dpop::challenge(
            &s,
            crate::api::dpop::sender_code(&sender),
            &r.to_string(),
        ));
    }
    // Step-up: every scope the call needs, for a client that got its
    // token through OAuth (an operator's task token has no way to
    // another): the tool, and any scope policy derives from the call.
    if let Err(CallError::Refused(r)) = &resp.outcome
        && stepped_up
        && let Some(scopes) = crate::api::challenge::step_up_scopes(r, &asked)
    {
        return Ok(crate::api::challenge::insufficient_scope(
            &s,
            &headers,
            &scopes,
            &r.to_string(),
        ));
    }
    let (status, body) = call_answer(resp);
    Ok((status, axum::Json(body)).into_response())
}

#[derive(Debug, Serialize)]
struct RecordRef {
    seq: u64,
    kind: String,
    time: String,
}

#[derive(Debug, Serialize)]
struct CallRecords {
    call_id: String,
    outcome: Option<String>,
    records: Vec<RecordRef>,
}

async fn call_records(
    State(s): State<AppState>,
    Path(call_id): Path<String>,
    headers: HeaderMap,
) -> Result<axum::Json<CallRecords>, ApiFault> {
    let agent = s.host.token_agent(&token(&headers)).await?;
    let index = std::sync::Arc::clone(&s.index);
    let id = call_id.clone();
    let found = tokio::task::spawn_blocking(move || index.records_of(&id))
        .await
        .map_err(|e| ApiFault::new(StatusCode::INTERNAL_SERVER_ERROR, "audit", e.to_string()))?
        .map_err(|e| {
            ApiFault::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "audit",
                format!("cannot read the audit chain: {e}"),
            )
        })?;
    // Only the token's own agent's records are shown.
    let records: Vec<_> = found
        .into_iter()
        .filter(|r| {
            r.event()
                .and_then(|e| e.agent().map(str::to_owned))
                .as_deref()
                == Some(agent.as_str())
        })
        .collect();
    if records.is_empty() {
        return Err(ApiFault::new(
            StatusCode::NOT_FOUND,
            "audit",
            format!("no call {call_id} of this token's agent in the audit chain"),
        ));
    }
    let outcome = records
        .iter()
        .rev()
        .find_map(|r| r.str("outcome"))
        .map(str::to_owned);
    Ok(axum::Json(CallRecords {
        call_id,
        outcome,
        records: records
            .iter()
            .map(|r| RecordRef {
                seq: r.seq,
                kind: r.kind.clone(),
                time: r.time.clone(),
            })
            .collect(),
    }))
}

/// The caller's correlation id (`X-Correlation-ID`, else `X-Request-ID`).
pub(crate) fn correlation_of(headers: &HeaderMap) -> Option<String> {
    ["x-correlation-id", "x-request-id"]
        .iter()
        .find_map(|n| headers.get(*n).and_then(|v| v.to_str().ok()))
        .and_then(crate::mediation::correlation_id)
}

/// The caller's W3C trace context (`traceparent`, `tracestate` headers).
pub(crate) fn trace_of(headers: &HeaderMap) -> Option<crate::audit::event::TraceRef> {
    let text = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    crate::audit::event::TraceRef::parse(text("traceparent")?, text("tracestate"))
}
