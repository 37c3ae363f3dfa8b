//! The operator API at `/v1/admin`: the operator actions of
//! [`OperatorActions`](crate::operator::OperatorActions) — stop buttons,
//! approvals, token issue, reloads — over HTTP. Every `POST` takes one
//! [`SignedAction`]: the operator's own Ed25519 signature over exactly that
//! action, verified against their public key in the host config, checked
//! for their role, refused if replayed or stale, and kept in the audit
//! chain. No route believes a name. Reading (open approvals, audit
//! verification) needs a read credential (`state_dir/keys/admin.token` of
//! this host or of a host of its fleet: `readers`), which acts on nothing.

use axum::Router;
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::api::app::AppState;
use crate::api::security::{ApiFault, bearer};
use crate::keys::{ActionKind, SignedAction};
use crate::operator::{OperatorError, Stop};
use crate::state::{Approval, now_ms};
use crate::vocab::parse_strict;

/// The operator routes (mounted at `/v1/admin`).
pub(crate) fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/approvals", get(approvals))
        .route("/approvals/{id}", get(approval))
        .route("/approvals/{id}/approve", post(approve))
        .route("/approvals/{id}/deny", post(deny))
        .route("/tokens", post(issue))
        .route("/tokens/{id}/revoke", post(revoke))
        .route("/agents/{id}/quarantine", post(quarantine))
        .route("/agents/{id}/release", post(release))
        .route("/plugins/{id}/disable", post(disable))
        .route("/plugins/{id}/enable", post(enable))
        .route("/plugins/{id}/reset-version", post(reset_version))
        .route("/halt", post(halt))
        .route("/resume", post(resume))
        .route("/reload", post(reload))
        .route("/config/apply", post(crate::api::rules_api::apply))
        .route("/audit/verify", get(crate::api::verify_api::verify))
        .layer(middleware::from_fn_with_state(state, require_reader))
}

/// Reads need the read credential; actions carry their own proof.
async fn require_reader(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    if let Some(t) = bearer(req.headers())
        && s.readers.accepts(&s.host, &s.admin_token, t).await
    {
        return next.run(req).await;
    }
    ApiFault::new(
        StatusCode::UNAUTHORIZED,
        "admin",
        "reading the operator API needs the read credential from state_dir/keys/admin.token \
         (this host's, or a host's of its fleet) as Authorization: Bearer; task tokens are not accepted here",
    )
    .into_response()
}

/// The body: one signed action (strict JSON, no duplicate keys).
fn signed(body: &[u8]) -> Result<SignedAction, ApiFault> {
    let bad = |why: String| {
        ApiFault::new(
            StatusCode::BAD_REQUEST,
            "request",
            format!(
                "the body must be one signed operator action \
                 {{\"action\": {{…}}, \"sig\": \"…\"}} (warrant sign-action makes one): {why}"
            ),
        )
    };
    let text = std::str::from_utf8(body).map_err(|e| bad(e.to_string()))?;
    let v = parse_strict(text).map_err(|e| bad(e.to_string()))?;
    serde_json::from_value(v).map_err(|e| bad(e.to_string()))
}

impl From<OperatorError> for ApiFault {
    fn from(e: OperatorError) -> Self {
        ApiFault::new(status_of(&e), "admin", e.to_string())
    }
}

/// The HTTP status of a refused operator action.
pub(crate) fn status_of(e: &OperatorError) -> StatusCode {
    {
        match e {
            OperatorError::Unauthenticated(_)
            | OperatorError::Replayed(_)
            | OperatorError::Stale { .. }
            | OperatorError::WrongAudience { .. } => StatusCode::UNAUTHORIZED,
            OperatorError::NotPermitted { .. } | OperatorError::NotApprover(_) => {
                StatusCode::FORBIDDEN
            }
            OperatorError::Mismatch { .. } => StatusCode::BAD_REQUEST,
            OperatorError::Invalid(_) | OperatorError::Issue(_) | OperatorError::Rules(_) => {
                StatusCode::CONFLICT
            }
            OperatorError::StateDir(_) => StatusCode::INTERNAL_SERVER_ERROR,
            OperatorError::State(_) | OperatorError::Audit(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

#[derive(Debug, Serialize)]
struct Changed {
    changed: bool,
}

/// An approval request as the API shows it.
#[derive(Debug, Serialize)]
struct ApprovalView {
    id: String,
    status: &'static str,
    agent: String,
    task: String,
    tool: String,
    impact: String,
    why: String,
    args: String,
    args_digest: String,
    plugin_version: String,
    component_digest: String,
    tool_digest: String,
    token_id: String,
    requested_at_ms: i64,
    expires_at_ms: i64,
    decided_by: Option<String>,
    decision_reason: Option<String>,
    /// What an approver signs (`binding` of the signed action).
    binding_digest: String,
    required: u32,
    approvals: Vec<String>,
}

impl ApprovalView {
    fn of(a: &Approval, now: i64) -> Self {
        let b = &a.binding;
        Self {
            id: a.id.clone(),
            status: a.shown_status(now),
            agent: b.agent.clone(),
            task: b.task.clone(),
            tool: b.tool.clone(),
            impact: a.impact.clone(),
            why: a.why.clone(),
            args: a.summary.clone(),
            args_digest: b.args_digest.clone(),
            plugin_version: b.plugin_version.clone(),
            component_digest: b.component_digest.clone(),
            tool_digest: b.tool_digest.clone(),
            token_id: a.token_id.clone(),
            requested_at_ms: a.requested_at,
            expires_at_ms: a.expires_at,
            decided_by: a.decided_by.clone(),
            decision_reason: a.decision_reason.clone(),
            binding_digest: b.digest(),
            required: a.required,
            approvals: a.votes.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
struct ApprovalList {
    approvals: Vec<ApprovalView>,
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    #[serde(default)]
    all: bool,
}

async fn approvals(
    State(s): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<ApprovalList>, ApiFault> {
    let list = s.host.operator().approvals(q.all).await?;
    let now = now_ms();
    Ok(axum::Json(ApprovalList {
        approvals: list.iter().map(|a| ApprovalView::of(a, now)).collect(),
    }))
}

async fn approval(
    State(s): State<AppState>,
    UrlPath(id): UrlPath<String>,
) -> Result<axum::Json<ApprovalView>, ApiFault> {
    let a = s.host.operator().approval(&id).await?;
    Ok(axum::Json(ApprovalView::of(&a, now_ms())))
}

async fn decide(
    s: &AppState,
    id: &str,
    kind: ActionKind,
    body: &[u8],
) -> Result<axum::Json<ApprovalView>, ApiFault> {
    let a = signed(body)?;
    if a.action.kind != kind || a.action.target != id {
        return Err(OperatorError::Mismatch {
            signed: format!("{} {}", a.action.kind.as_str(), a.action.target),
            asked: format!("{} {id}", kind.as_str()),
        }
        .into());
    }
    let x = s.host.operator().decide(&a).await?;
    Ok(axum::Json(ApprovalView::of(&x, now_ms())))
}

async fn approve(
    State(s): State<AppState>,
    UrlPath(id): UrlPath<String>,
    body: axum::body::Bytes,
) -> Result<axum::Json<ApprovalView>, ApiFault> {
    decide(&s, &id, ActionKind::Approve, &body).await
}

async fn deny(
    State(s): State<AppState>,
    UrlPath(id): UrlPath<String>,
    body: axum::body::Bytes,
) -> Result<axum::Json<ApprovalView>, ApiFault> {
    decide(&s, &id, ActionKind::Deny, &body).await
}

async fn stop(s: &AppState, what: Stop, body: &[u8]) -> Result<axum::Json<Changed>, ApiFault> {
    let a = signed(body)?;
    let changed = s.host.operator().stop(&what, &a).await?;
    Ok(axum::Json(Changed { changed }))
}

macro_rules! named_stop {
    ($name:ident, $what:expr) => {
        async fn $name(
            State(s): State<AppState>,
            UrlPath(id): UrlPath<String>,
            body: axum::body::Bytes,
        ) -> Result<axum::Json<Changed>, ApiFault> {
            stop(&s, $what(id), &body).await
        }
    };
}

named_stop!(revoke, Stop::Revoke);
named_stop!(quarantine, Stop::Quarantine);
named_stop!(release, Stop::Release);
named_stop!(disable, Stop::Disable);
named_stop!(enable, Stop::Enable);

async fn halt(
    State(s): State<AppState>,
    body: axum::body::Bytes,
) -> Result<axum::Json<Changed>, ApiFault> {
    stop(&s, Stop::Halt, &body).await
}

async fn resume(
    State(s): State<AppState>,
    body: axum::body::Bytes,
) -> Result<axum::Json<Changed>, ApiFault> {
    stop(&s, Stop::Resume, &body).await
}

#[derive(Debug, Serialize)]
struct Reloading {
    generation: u64,
}

async fn reload(
    State(s): State<AppState>,
    body: axum::body::Bytes,
) -> Result<axum::Json<Reloading>, ApiFault> {
    let a = signed(&body)?;
    let generation = s.host.operator().request_reload(&a).await?;
    Ok(axum::Json(Reloading { generation }))
}

#[derive(Debug, Serialize)]
struct Issued {
    token: String,
    token_id: String,
    agent: String,
    task: String,
    tools: Vec<String>,
    expires_at: i64,
}

async fn issue(
    State(s): State<AppState>,
    body: axum::body::Bytes,
) -> Result<axum::Json<Issued>, ApiFault> {
    let a = signed(&body)?;
    let (token, t) = s.host.operator().issue_token(&a).await?;
    Ok(axum::Json(Issued {
        token,
        token_id: t.id,
        agent: t.agent,
        task: t.task,
        tools: t.tools,
        expires_at: t.exp,
    }))
}

#[derive(Debug, Serialize)]
struct Reset {
    from: Option<String>,
}

async fn reset_version(
    State(s): State<AppState>,
    UrlPath(id): UrlPath<String>,
    body: axum::body::Bytes,
) -> Result<axum::Json<Reset>, ApiFault> {
    let a = signed(&body)?;
    let from = s.host.operator().reset_version(&id, &a).await?;
    Ok(axum::Json(Reset { from }))
}
