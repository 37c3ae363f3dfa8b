//! What an operator does in the console: decide a held call, press a stop
//! button. Each is a form post from this console's origin with the
//! session's CSRF token and a reason; the console signs the action with the
//! session's key (the operator's delegation travels with it) and hands it
//! to the same library call as the CLI, which checks the operator's role
//! and records it in the chain. The answer is the page the operator came
//! from, with what happened.

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use serde::Deserialize;

use crate::api::app::AppState;
use crate::api::console::{Authed, flash, post_auth, refusal};
use crate::api::operator_api::status_of;
use crate::operator::{OperatorError, Stop};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/approvals/{id}/decide", post(decide))
        .route("/console/actions/{button}", post(host_button))
        .route("/console/actions/{button}/{target}", post(target_button))
}

#[derive(Debug, Deserialize)]
pub(super) struct ActionForm {
    csrf: Option<String>,
    #[serde(default)]
    reason: String,
    decision: Option<String>,
    binding: Option<String>,
    back: Option<String>,
}

/// Check the form: a logged-in operator from this origin with the CSRF
/// token, and a reason.
async fn check(s: &AppState, headers: &HeaderMap, f: &ActionForm) -> Result<Authed, Response> {
    let a = post_auth(s, headers, f.csrf.as_deref()).await?;
    if f.reason.trim().is_empty() {
        return Err(refusal(
            StatusCode::BAD_REQUEST,
            "refused: give a reason; it is recorded with the action",
        ));
    }
    Ok(a)
}

/// Where to go back to: a console page the form named, else the inbox.
fn back(f: &ActionForm) -> Redirect {
    let to = f
        .back
        .as_deref()
        .filter(|b| b.starts_with("/console") && !b.contains("//") && !b.contains('\\'))
        .unwrap_or("/console");
    Redirect::to(to)
}

async fn done(
    s: &AppState,
    headers: &HeaderMap,
    f: &ActionForm,
    r: Result<String, OperatorError>,
    until_s: i64,
) -> Response {
    match r {
        Ok(message) => {
            flash(s, headers, message, until_s).await;
            back(f).into_response()
        }
        Err(e) => refusal(status_of(&e), &format!("refused: {e}")),
    }
}

async fn decide(
    State(s): State<AppState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    axum::Form(f): axum::Form<ActionForm>,
) -> Response {
    let a = match check(&s, &headers, &f).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let approve = match f.decision.as_deref() {
        Some("approve") => true,
        Some("deny") => false,
        _ => return refusal(StatusCode::BAD_REQUEST, "refused: decide approve or deny"),
    };
    let Some(binding) = f.binding.as_deref() else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "refused: the form names no held call",
        );
    };
    let signed = a
        .session
        .signer()
        .sign_decision(approve, &id, binding, f.reason.trim());
    let r = s.host.operator().decide(&signed).await.map(|x| {
        let verb = if approve { "approved" } else { "denied" };
        format!(
            "{verb} {id} ({} {} of {}): {}",
            x.binding.tool,
            x.votes.len(),
            x.required,
            x.shown_status(crate::state::now_ms())
        )
    });
    done(&s, &headers, &f, r, a.session.not_after).await
}

async fn press(s: &AppState, headers: &HeaderMap, f: &ActionForm, stop: Stop) -> Response {
    let a = match check(s, headers, f).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (kind, target) = stop.action();
    let signed = a.session.signer().sign(kind, target, f.reason.trim());
    let r = s
        .host
        .operator()
        .stop(&stop, &signed)
        .await
        .map(|changed| stop.outcome(changed));
    done(s, headers, f, r, a.session.not_after).await
}

async fn host_button(
    State(s): State<AppState>,
    headers: HeaderMap,
    UrlPath(button): UrlPath<String>,
    axum::Form(f): axum::Form<ActionForm>,
) -> Response {
    let stop = match button.as_str() {
        "halt" => Stop::Halt,
        "resume" => Stop::Resume,
        other => return refusal(StatusCode::NOT_FOUND, &format!("no button {other}")),
    };
    press(&s, &headers, &f, stop).await
}

async fn target_button(
    State(s): State<AppState>,
    headers: HeaderMap,
    UrlPath((button, target)): UrlPath<(String, String)>,
    axum::Form(f): axum::Form<ActionForm>,
) -> Response {
    let stop = match button.as_str() {
        "quarantine" => Stop::Quarantine(target),
        "release" => Stop::Release(target),
        "disable" => Stop::Disable(target),
        "enable" => Stop::Enable(target),
        "revoke" => Stop::Revoke(target),
        other => return refusal(StatusCode::NOT_FOUND, &format!("no button {other}")),
    };
    press(&s, &headers, &f, stop).await
}
