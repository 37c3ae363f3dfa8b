//! The operator API at `/v1/admin`: the operator actions of
//! [`OperatorActions`](crate::operator::OperatorActions) — stop buttons,
//! approvals, reloads, audit verification — over HTTP. It needs the
//! automation credential kept in `state_dir/keys/admin.token` (mode 0600),
//! which no task token can stand in for; every action is still checked and
//! recorded against `[operators]` and the approvers of the host config.

use axum::Router;
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::api::app::AppState;
use crate::api::security::{ApiFault, bearer, same_secret};
use crate::audit::{AuditPaths, VerifyKeys, VerifyOptions, verify_chain};
use crate::operator::{OperatorError, Stop};
use crate::state::{Approval, now_ms};

/// The operator routes (mounted at `/v1/admin`).
pub(crate) fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/approvals", get(approvals))
        .route("/approvals/{id}/approve", post(approve))
        .route("/approvals/{id}/deny", post(deny))
        .route("/tokens/{id}/revoke", post(revoke))
        .route("/agents/{id}/quarantine", post(quarantine))
        .route("/agents/{id}/release", post(release))
        .route("/plugins/{id}/disable", post(disable))
        .route("/plugins/{id}/enable", post(enable))
        .route("/halt", post(halt))
        .route("/resume", post(resume))
        .route("/reload", post(reload))
        .route("/audit/verify", get(verify).post(verify))
        .layer(middleware::from_fn_with_state(state, require_admin))
}

async fn require_admin(State(s): State<AppState>, req: Request, next: Next) -> Response {
    match bearer(req.headers()) {
        Some(t) if same_secret(t, &s.admin_token) => next.run(req).await,
        _ => ApiFault::new(
            StatusCode::UNAUTHORIZED,
            "admin",
            "the admin API needs the operator credential from state_dir/keys/admin.token \
             as Authorization: Bearer; task tokens are not accepted here",
        )
        .into_response(),
    }
}

/// Who acts, and why (recorded in the audit chain).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Act {
    /// The operator's name, as listed in the host config.
    #[serde(rename = "as", alias = "by")]
    by: String,
    #[serde(default)]
    reason: String,
}

/// The JSON body, or what is wrong with it.
fn act(body: &[u8]) -> Result<Act, ApiFault> {
    serde_json::from_slice(body).map_err(|e| {
        ApiFault::new(
            StatusCode::BAD_REQUEST,
            "request",
            format!("the body must be {{\"as\": \"<operator>\", \"reason\": \"…\"}}: {e}"),
        )
    })
}

impl From<OperatorError> for ApiFault {
    fn from(e: OperatorError) -> Self {
        let status = match &e {
            OperatorError::NotPermitted { .. } | OperatorError::NotApprover(_) => {
                StatusCode::FORBIDDEN
            }
            OperatorError::Invalid(_) | OperatorError::Issue(_) => StatusCode::CONFLICT,
            OperatorError::StateDir(_) => StatusCode::INTERNAL_SERVER_ERROR,
            OperatorError::State(_) | OperatorError::Audit(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        ApiFault::new(status, "admin", e.to_string())
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

async fn decide(
    s: &AppState,
    id: &str,
    approve: bool,
    body: &[u8],
) -> Result<axum::Json<ApprovalView>, ApiFault> {
    let a = act(body)?;
    let x = s
        .host
        .operator()
        .decide(id, approve, &a.by, &a.reason)
        .await?;
    Ok(axum::Json(ApprovalView::of(&x, now_ms())))
}

async fn approve(
    State(s): State<AppState>,
    UrlPath(id): UrlPath<String>,
    body: axum::body::Bytes,
) -> Result<axum::Json<ApprovalView>, ApiFault> {
    decide(&s, &id, true, &body).await
}

async fn deny(
    State(s): State<AppState>,
    UrlPath(id): UrlPath<String>,
    body: axum::body::Bytes,
) -> Result<axum::Json<ApprovalView>, ApiFault> {
    decide(&s, &id, false, &body).await
}

async fn stop(s: &AppState, what: Stop, body: &[u8]) -> Result<axum::Json<Changed>, ApiFault> {
    let a = act(body)?;
    let changed = s.host.operator().stop(&what, &a.by, &a.reason).await?;
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
    let a = act(&body)?;
    let generation = s.host.operator().request_reload(&a.by).await?;
    Ok(axum::Json(Reloading { generation }))
}

#[derive(Debug, Serialize)]
struct Verified {
    ok: bool,
    records: u64,
    macs_checked: u64,
    checkpoints: u64,
    last_checkpoint: u64,
    uncovered: u64,
}

#[derive(Debug, Serialize)]
struct Tampered {
    ok: bool,
    fault: String,
}

/// Verify the whole chain with the host's keys (and witness), holding a
/// shared lock on the log so that no half-written record is read.
async fn verify(State(s): State<AppState>) -> Result<Response, ApiFault> {
    let keys = VerifyKeys::from_state_dir(s.host.state_dir(), true)
        .map_err(|e| ApiFault::new(StatusCode::INTERNAL_SERVER_ERROR, "audit", e.to_string()))?;
    let config = s.host.config();
    let paths = AuditPaths::in_dir(&config.audit.dir);
    let opts = VerifyOptions {
        witness: config.audit.witness.clone(),
        require_checkpoint: false,
    };
    let result = tokio::task::spawn_blocking(move || {
        let lock = std::fs::File::open(&paths.log).and_then(|f| f.lock_shared().map(|()| f));
        let out = verify_chain(&paths.log, &paths.checkpoints, &keys, &opts, &mut |_, _| {});
        drop(lock);
        out
    })
    .await
    .map_err(|e| {
        ApiFault::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "audit",
            format!("verification did not finish: {e}"),
        )
    })?;
    Ok(match result {
        Ok(sum) => axum::Json(Verified {
            ok: true,
            records: sum.records,
            macs_checked: sum.macs_checked,
            checkpoints: sum.checkpoints + sum.witness_checkpoints,
            last_checkpoint: sum.last_checkpoint,
            uncovered: sum.uncovered,
        })
        .into_response(),
        Err(fault) => (
            StatusCode::CONFLICT,
            axum::Json(Tampered {
                ok: false,
                fault: fault.to_string(),
            }),
        )
            .into_response(),
    })
}
