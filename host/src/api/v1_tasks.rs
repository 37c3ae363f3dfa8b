//! Held calls as tasks over HTTP/JSON, at `/v1/tasks`:
//!
//! - a call policy holds for approval is answered `202 Accepted` with
//!   `Location: /v1/tasks/{task_id}` and the task
//!   `{"task_id", "status": "working", "status_message", "approval_id",
//!   "call_id", "created_at", "last_updated_at", "ttl_ms",
//!   "poll_interval_ms", "task_url"}`;
//! - `GET /v1/tasks/{task_id}` — the task; once it ended, `status` is
//!   `completed` (with `result`, the call's answer and `result_status`, its
//!   HTTP status), `failed` (denied, expired, or refused on the way; with
//!   `result` naming the refusal) or `cancelled` (a stop button, or the
//!   agent);
//! - `DELETE /v1/tasks/{task_id}` — cancel it (`202`).
//!
//! Only the agent that started a task sees it: another agent's, or an
//! unknown one, is 404.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::Value;

use crate::api::answer::token;
use crate::api::app::AppState;
use crate::api::discovery::resource_of;
use crate::api::security::ApiFault;
use crate::api::tasks::{POLL_MS, TaskView};

/// The task routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/v1/tasks/{task_id}", get(read).delete(cancel))
}

#[derive(Debug, Serialize)]
struct TaskBody {
    task_id: String,
    status: &'static str,
    status_message: String,
    approval_id: String,
    call_id: String,
    created_at: String,
    last_updated_at: String,
    ttl_ms: u64,
    poll_interval_ms: u64,
    task_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    result_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<Value>,
}

fn body(url: String, v: &TaskView) -> TaskBody {
    let (result_status, result) = match &v.ended {
        Some(e) => (Some(e.http_status), Some(e.http_body.clone())),
        None => (None, None),
    };
    TaskBody {
        task_id: v.id.clone(),
        status: v.status.as_str(),
        status_message: v.message.clone(),
        approval_id: v.approval_id.clone(),
        call_id: v.call_id.clone(),
        created_at: v.created_at(),
        last_updated_at: v.updated_at(),
        ttl_ms: v.ttl_ms,
        poll_interval_ms: POLL_MS,
        task_url: url,
        result_status,
        result,
    }
}

/// `202 Accepted` for a held call: the task and where to poll it.
pub(crate) fn accepted(s: &AppState, headers: &HeaderMap, v: &TaskView) -> Response {
    let (base, _) = resource_of(s, headers);
    let url = format!("{base}/v1/tasks/{}", v.id);
    let mut r = (StatusCode::ACCEPTED, axum::Json(body(url.clone(), v))).into_response();
    if let Ok(h) = HeaderValue::from_str(&url) {
        r.headers_mut().insert(header::LOCATION, h);
    }
    r
}

fn not_found(e: &crate::api::tasks::NoTask) -> ApiFault {
    ApiFault::new(StatusCode::NOT_FOUND, "task", e.to_string())
}

async fn read(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<axum::Json<TaskBody>, ApiFault> {
    let agent = s.host.token_owner(&token(&headers)).await?;
    let v = s.tasks.get(&agent, &id).await.map_err(|e| not_found(&e))?;
    let (base, _) = resource_of(&s, &headers);
    Ok(axum::Json(body(format!("{base}/v1/tasks/{id}"), &v)))
}

async fn cancel(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiFault> {
    let agent = s.host.token_owner(&token(&headers)).await?;
    s.tasks
        .cancel(&agent, &id)
        .await
        .map_err(|e| not_found(&e))?;
    Ok(StatusCode::ACCEPTED.into_response())
}
