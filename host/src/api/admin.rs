//! The admin API at `/v1/admin`: the operator's stop buttons, approvals and
//! audit verification over HTTP. It needs the operator credential — a random
//! secret the server keeps in `state_dir/keys/admin.token` (mode 0600) —
//! which no task token can stand in for; and every action is still checked
//! and recorded by [`Admin`](crate::admin::Admin) against `[operators]` and
//! the approvers of the host config, under the operator name in the body.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::admin::AdminError;
use crate::api::ApiError;
use crate::api::http::AppState;
use crate::api::security::{bearer, error, same_secret};
use crate::audit::{AuditPaths, VerifyKeys, keys_dir, verify_chain};
use crate::keys::{SigningKey, read_key_file};
use crate::state::{Approval, now_ms};

/// The admin credential's file name, in the state directory's `keys/`.
pub const ADMIN_TOKEN_FILE: &str = "admin.token";

/// Where the admin credential of a state directory lives.
pub fn admin_token_path(state_dir: &Path) -> PathBuf {
    keys_dir(state_dir).join(ADMIN_TOKEN_FILE)
}

/// Read the admin credential, creating it (32 random bytes, mode 0600) on
/// first use.
///
/// # Errors
///
/// [`ApiError::AdminToken`] when it cannot be read or created.
pub fn load_or_create_admin_token(state_dir: &Path) -> Result<(String, PathBuf), ApiError> {
    let path = admin_token_path(state_dir);
    let fail = |why: String| ApiError::AdminToken {
        path: path.clone(),
        why,
    };
    if !path.exists() {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| fail(format!("no randomness: {e}")))?;
        let text = format!("wadm_{}\n", hex::encode(secret));
        if let Err(e) = write_private(&path, &text) {
            // Another process may have created it at the same moment.
            if !path.exists() {
                return Err(fail(e.to_string()));
            }
        }
    }
    let text = std::fs::read_to_string(&path).map_err(|e| fail(e.to_string()))?;
    let token = text.trim().to_owned();
    if token.len() < 32 {
        return Err(fail(
            "too short to be a secret; delete it and a new one is created".into(),
        ));
    }
    Ok((token, path))
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(text.as_bytes())
}

/// The admin routes (mounted at `/v1/admin`).
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
        .route("/audit/verify", get(verify).post(verify))
        .layer(middleware::from_fn_with_state(state, require_admin))
}

async fn require_admin(State(s): State<AppState>, req: Request, next: Next) -> Response {
    match bearer(req.headers()) {
        Some(t) if same_secret(t, &s.admin_token) => next.run(req).await,
        _ => error(
            StatusCode::UNAUTHORIZED,
            "admin",
            "the admin API needs the operator credential from state_dir/keys/admin.token \
             as Authorization: Bearer; task tokens are not accepted here",
        ),
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
fn act(body: &[u8]) -> Result<Act, String> {
    serde_json::from_slice(body)
        .map_err(|e| format!("the body must be {{\"as\": \"<operator>\", \"reason\": \"…\"}}: {e}"))
}

fn refused(e: &AdminError) -> Response {
    let status = match e {
        AdminError::NotPermitted { .. } | AdminError::NotApprover(_) => StatusCode::FORBIDDEN,
        AdminError::Invalid(_) => StatusCode::CONFLICT,
        AdminError::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
        AdminError::State(_) | AdminError::Audit(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    error(status, "admin", &e.to_string())
}

fn changed(r: Result<bool, AdminError>) -> Response {
    match r {
        Ok(c) => axum::Json(json!({"changed": c})).into_response(),
        Err(e) => refused(&e),
    }
}

fn approval_json(a: &Approval, now: i64) -> Value {
    json!({
        "id": a.id, "status": a.shown_status(now), "agent": a.agent, "task": a.task,
        "tool": a.tool, "impact": a.impact, "why": a.why, "args": a.summary,
        "args_digest": a.args_digest, "token_id": a.token_id,
        "requested_at_ms": a.requested_at, "expires_at_ms": a.expires_at,
        "decided_by": a.decided_by, "decision_reason": a.decision_reason,
    })
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    #[serde(default)]
    all: bool,
}

async fn approvals(State(s): State<AppState>, Query(q): Query<ListQuery>) -> Response {
    match s.host.admin().approvals(q.all) {
        Ok(list) => {
            let now = now_ms();
            let items: Vec<Value> = list.iter().map(|a| approval_json(a, now)).collect();
            axum::Json(json!({"approvals": items})).into_response()
        }
        Err(e) => refused(&e),
    }
}

async fn decide(s: &AppState, id: &str, approve: bool, body: &[u8]) -> Response {
    let a = match act(body) {
        Ok(a) => a,
        Err(why) => return error(StatusCode::BAD_REQUEST, "request", &why),
    };
    match s.host.admin().decide(id, approve, &a.by, &a.reason).await {
        Ok(x) => axum::Json(approval_json(&x, now_ms())).into_response(),
        Err(e) => refused(&e),
    }
}

async fn approve(
    State(s): State<AppState>,
    UrlPath(id): UrlPath<String>,
    body: axum::body::Bytes,
) -> Response {
    decide(&s, &id, true, &body).await
}

async fn deny(
    State(s): State<AppState>,
    UrlPath(id): UrlPath<String>,
    body: axum::body::Bytes,
) -> Response {
    decide(&s, &id, false, &body).await
}

/// The operator actions on one named thing, or on the whole host.
#[derive(Debug, Clone, Copy)]
enum Stop {
    Revoke,
    Quarantine,
    Release,
    Disable,
    Enable,
    Halt,
    Resume,
}

async fn stop(s: &AppState, what: Stop, id: &str, body: &[u8]) -> Response {
    let a = match act(body) {
        Ok(a) => a,
        Err(why) => return error(StatusCode::BAD_REQUEST, "request", &why),
    };
    let admin = s.host.admin();
    let (by, why) = (a.by.as_str(), a.reason.as_str());
    changed(match what {
        Stop::Revoke => admin.revoke_token(id, by, why).await,
        Stop::Quarantine => admin.quarantine(id, by, why).await,
        Stop::Release => admin.release(id, by, why).await,
        Stop::Disable => admin.set_plugin_disabled(id, true, by, why).await,
        Stop::Enable => admin.set_plugin_disabled(id, false, by, why).await,
        Stop::Halt => admin.halt(by, why).await,
        Stop::Resume => admin.resume(by, why).await,
    })
}

macro_rules! named_stop {
    ($name:ident, $what:expr) => {
        async fn $name(
            State(s): State<AppState>,
            UrlPath(id): UrlPath<String>,
            body: axum::body::Bytes,
        ) -> Response {
            stop(&s, $what, &id, &body).await
        }
    };
}

named_stop!(revoke, Stop::Revoke);
named_stop!(quarantine, Stop::Quarantine);
named_stop!(release, Stop::Release);
named_stop!(disable, Stop::Disable);
named_stop!(enable, Stop::Enable);

async fn halt(State(s): State<AppState>, body: axum::body::Bytes) -> Response {
    stop(&s, Stop::Halt, "", &body).await
}

async fn resume(State(s): State<AppState>, body: axum::body::Bytes) -> Response {
    stop(&s, Stop::Resume, "", &body).await
}

/// Verify the whole chain with the host's keys, holding a shared lock on the
/// log so that no half-written record is read.
async fn verify(State(s): State<AppState>) -> Response {
    let state_dir = s.host.config().state_dir.clone();
    let paths = AuditPaths::in_dir(&s.host.config().audit_dir());
    let result = tokio::task::spawn_blocking(move || {
        let dir = keys_dir(&state_dir);
        let mut keys = VerifyKeys::default();
        if let Ok(SigningKey::Hmac(k)) =
            read_key_file(&dir.join("audit-mac.key")).and_then(|f| f.signing_key())
        {
            keys.mac = Some(k);
        }
        if let Ok(SigningKey::Ed25519(k)) =
            read_key_file(&dir.join("audit-checkpoint.key")).and_then(|f| f.signing_key())
        {
            keys.checkpoint = Some(k.verifying_key());
        }
        let lock = std::fs::File::open(&paths.log).and_then(|f| f.lock_shared().map(|()| f));
        let out = verify_chain(&paths.log, &paths.checkpoints, &keys, &mut |_, _| {});
        drop(lock);
        out
    })
    .await;
    match result {
        Ok(Ok(sum)) => axum::Json(json!({
            "ok": true, "records": sum.records, "macs_checked": sum.macs_checked,
            "checkpoints": sum.checkpoints, "last_checkpoint": sum.last_checkpoint,
        }))
        .into_response(),
        Ok(Err(fault)) => (
            StatusCode::CONFLICT,
            axum::Json(json!({"ok": false, "fault": fault.to_string()})),
        )
            .into_response(),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "audit",
            &format!("verification did not finish: {e}"),
        ),
    }
}
