//! The HTTP/JSON API for agents that do not speak MCP, at `/v1`. The task
//! token is `Authorization: Bearer` on every request.
//!
//! - `GET /v1/tools` — the tools the token may call.
//! - `POST /v1/tools/{plugin.tool}/call` with `{"input": {…}, "prompt"?, "context"?}`
//!   → `200 {"call_id", "audit_seq", "output"}`, or an error body
//!   `{"error": {"layer", "message", "approval_id"?}, "call_id", "audit_seq"}`:
//!   401 token refused, 403 refused by another layer, 202 held for approval,
//!   404 unknown tool, 429 rate limit or busy, 422 the tool rejected its
//!   input, 502 the tool failed or crashed, 504 it ran out of time,
//!   503 cancelled or the host cannot serve, 500 the outcome could not be
//!   audited.
//! - `GET /v1/calls/{call_id}` — the audit records of one of the token's
//!   agent's calls.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::call;
use crate::api::http::AppState;
use crate::api::mcp::mcp_tool_name;
use crate::api::security::{bearer, error};
use crate::audit::{Filter, read_records};
use crate::authz::Refusal;
use crate::{CallError, CallFailure, CallRequest};

/// The agent routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/tools", get(tools))
        .route("/v1/tools/{tool}/call", post(call_tool))
        .route("/v1/calls/{call_id}", get(call_records))
}

fn token(headers: &HeaderMap) -> String {
    bearer(headers).unwrap_or_default().to_owned()
}

/// The HTTP status of a refusal.
fn refusal_status(r: &Refusal) -> StatusCode {
    match r {
        Refusal::Token(_) | Refusal::TokenTime { .. } | Refusal::Revoked { .. } => {
            StatusCode::UNAUTHORIZED
        }
        Refusal::PendingApproval { .. } => StatusCode::ACCEPTED,
        Refusal::UnknownTool(_) => StatusCode::NOT_FOUND,
        Refusal::Input(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Refusal::Rate(_) => StatusCode::TOO_MANY_REQUESTS,
        Refusal::Host(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::FORBIDDEN,
    }
}

/// The HTTP status of a call that produced no output.
fn error_status(e: &CallError) -> StatusCode {
    match e {
        CallError::Refused(r) => refusal_status(r),
        CallError::Failed(f) => match f {
            CallFailure::InvalidInput(_) => StatusCode::UNPROCESSABLE_ENTITY,
            CallFailure::UnknownTool { .. } => StatusCode::NOT_FOUND,
            CallFailure::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            CallFailure::Busy { .. } => StatusCode::TOO_MANY_REQUESTS,
            CallFailure::Cancelled(_) => StatusCode::SERVICE_UNAVAILABLE,
            CallFailure::Host(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_GATEWAY,
        },
        CallError::Unaudited(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn tools(State(s): State<AppState>, headers: HeaderMap) -> Response {
    match s.host.tools_for(&token(&headers)) {
        Ok(list) => {
            let tools: Vec<Value> = list
                .iter()
                .map(|t| {
                    json!({
                        "name": t.qualified, "mcp_name": mcp_tool_name(&t.qualified),
                        "plugin": t.plugin, "tool": t.name, "description": t.description,
                        "impact": t.impact.as_str(),
                        "input_schema": serde_json::from_str::<Value>(&t.input_schema).unwrap_or(Value::Null),
                    })
                })
                .collect();
            axum::Json(json!({"tools": tools})).into_response()
        }
        Err(r) => error(refusal_status(&r), r.layer(), &r.to_string()),
    }
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
    json!({})
}

async fn call_tool(
    State(s): State<AppState>,
    Path(tool): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let body: CallBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "request",
                &format!(
                    "the body must be {{\"input\": {{…}}, \"prompt\"?: \"…\", \"context\"?: …}}: {e}"
                ),
            );
        }
    };
    let req = CallRequest {
        token: token(&headers),
        tool,
        input: body.input.to_string(),
        prompt: body.prompt,
        context: body.context,
        channel: "http",
    };
    // If the client disconnects, axum drops this future and the call is
    // cancelled (and audited as such).
    let resp = call::spawn(&s.host, &s.metrics, req).finish().await;
    match resp.outcome {
        Ok(out) => {
            let output = serde_json::from_str::<Value>(&out).unwrap_or(Value::String(out));
            axum::Json(
                json!({"call_id": resp.call_id, "audit_seq": resp.audit_seq, "output": output}),
            )
            .into_response()
        }
        Err(e) => {
            let mut err =
                json!({"layer": layer(&e), "message": e.to_string(), "outcome": e.kind()});
            if let CallError::Refused(Refusal::PendingApproval { approval_id, .. }) = &e {
                err["approval_id"] = json!(approval_id);
            }
            (
                error_status(&e),
                axum::Json(
                    json!({"error": err, "call_id": resp.call_id, "audit_seq": resp.audit_seq}),
                ),
            )
                .into_response()
        }
    }
}

/// The layer an error is reported under: the refusing layer, else
/// `sandbox` (the tool ran) or `audit`.
fn layer(e: &CallError) -> &'static str {
    match e {
        CallError::Refused(r) => r.layer(),
        CallError::Failed(_) => "sandbox",
        CallError::Unaudited(_) => "audit",
    }
}

async fn call_records(
    State(s): State<AppState>,
    Path(call_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let agent =
        match s
            .host
            .authz()
            .check_token(&token(&headers), chrono::Utc::now(), s.host.state())
        {
            Ok((_, agent)) => agent.id.clone(),
            Err(r) => return error(refusal_status(&r), r.layer(), &r.to_string()),
        };
    // Only the token's own agent's records are searched.
    let filter = Filter {
        agent: Some(agent),
        ..Filter::default()
    };
    let log = s.host.audit().paths().log.clone();
    let id = call_id.clone();
    let found = tokio::task::spawn_blocking(move || {
        read_records(&log, &filter).map(|rs| {
            rs.into_iter()
                .filter(|r| r.str("call_id") == Some(id.as_str()))
                .collect::<Vec<_>>()
        })
    })
    .await;
    let records = match found {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "audit",
                &format!("cannot read the audit chain: {e}"),
            );
        }
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, "audit", &e.to_string()),
    };
    if records.is_empty() {
        return error(
            StatusCode::NOT_FOUND,
            "audit",
            &format!("no call {call_id} of this token's agent in the audit chain"),
        );
    }
    let outcome = records
        .iter()
        .rev()
        .find_map(|r| r.str("outcome"))
        .map(str::to_owned);
    let list: Vec<Value> = records
        .iter()
        .map(|r| json!({"seq": r.seq, "kind": r.kind, "time": r.time}))
        .collect();
    axum::Json(json!({"call_id": call_id, "outcome": outcome, "records": list})).into_response()
}
