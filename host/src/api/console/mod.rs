//! The operator console at `/console`: the approvals inbox, an overview
//! of the last hour or day as charts, task timelines, agents, tokens and
//! plugins, and the stop buttons, as
//! server-rendered HTML (maud escapes every value it renders) with one
//! small script for live updates and confirmations. Everything — styles and
//! script — is embedded in the binary; nothing is loaded from elsewhere.
//!
//! An operator logs in with a one-time link (`warrant console login`,
//! signed with their own key) or at their OpenID provider; the console
//! then signs each of their actions with the session's key and hands it to
//! the same library call the CLI uses ([`OperatorActions`]), so it lands
//! in the chain attributed to them, with a signature that verifies
//! offline.
//!
//! Sessions live in an HttpOnly, SameSite=Strict cookie (Secure over TLS)
//! that names state kept in the shared state (`shared`: any host of a
//! fleet serves it, a restart keeps it, a logout ends it everywhere); every state-changing request must come
//! from this console's own origin and carry the session's CSRF token; every
//! page is sent with a strict Content-Security-Policy (no inline script).
//!
//! [`OperatorActions`]: crate::operator::OperatorActions

mod actions;
mod agents;
mod calls;
mod charts;
mod inbox;
mod layout;
mod live;
mod login;
mod oidc;
mod overview;
mod shared;
mod timeline;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::api::app::AppState;
use crate::api::security::same_secret;
use crate::operator::Session;

/// The session cookie.
const COOKIE: &str = "warrant_console";

/// The console's routes (under `/console`).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(inbox::page))
        .route("/console/approvals/{id}", get(inbox::one))
        .route("/console/fragment/inbox", get(inbox::fragment))
        .route("/console/fragment/status", get(layout::status_fragment))
        .route("/console/fragment/agents", get(agents::fragment))
        .route("/console/events", get(live::events))
        .route("/console/tasks", get(timeline::search))
        .route("/console/tasks/{task}", get(timeline::page))
        .route("/console/tasks/{task}/export", get(timeline::export))
        .route("/console/agents", get(agents::page))
        .route("/console/overview", get(overview::page))
        .route("/console/calls", get(calls::calls))
        .route("/console/stops", get(calls::stops))
        .route("/console/assets/console.css", get(css))
        .route("/console/assets/console.js", get(js))
        .route("/console/assets/icon.svg", get(icon))
        .merge(login::routes())
        .merge(actions::routes())
        .layer(middleware::from_fn(headers))
}

/// Every console response: a strict CSP, no framing, no sniffing, no
/// caching, no referrer.
async fn headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
               connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    for (k, v) in [
        ("content-security-policy", csp),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("cache-control", "no-store"),
        ("cross-origin-opener-policy", "same-origin"),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    res
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("assets/console.css"),
    )
}

async fn icon() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "image/svg+xml")],
        include_str!("assets/icon.svg"),
    )
}

async fn js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("assets/console.js"),
    )
}

/// A logged-in operator's request.
#[derive(Debug, Clone)]
pub(crate) struct Authed {
    pub(crate) session: Session,
    pub(crate) csrf: String,
    pub(crate) flash: Option<String>,
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    cookie_named(headers, COOKIE)
}

/// The value of cookie `name`.
pub(crate) fn cookie_named(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The live session of the request's cookie (and, for a full page, its
/// flash message, taken: a fragment fetched meanwhile must not eat it).
pub(crate) async fn authed(s: &AppState, headers: &HeaderMap) -> Option<Authed> {
    authed_taking(s, headers, false).await
}

async fn authed_taking(s: &AppState, headers: &HeaderMap, take: bool) -> Option<Authed> {
    let value = cookie_value(headers)?;
    let (found, key) = shared::cookie(s, &value).await?;
    let Some(session) = s.host.operator().session(&found.session, Some(key)).await else {
        shared::drop_cookie(s, &value).await;
        return None;
    };
    if take && found.flash.is_some() {
        shared::set_flash(s, &value, None, session.not_after).await;
    }
    Some(Authed {
        csrf: shared::csrf_of(&value),
        flash: found.flash,
        session,
    })
}

/// A page for a logged-in operator, or the login page.
pub(crate) async fn page_auth(s: &AppState, headers: &HeaderMap) -> Result<Authed, Response> {
    authed_taking(s, headers, true)
        .await
        .ok_or_else(|| Redirect::to("/console/login").into_response())
}

/// A part of a page (or an export) for a logged-in operator.
pub(crate) async fn part_auth(s: &AppState, headers: &HeaderMap) -> Result<Authed, Response> {
    authed(s, headers).await.ok_or_else(|| {
        refusal(
            axum::http::StatusCode::UNAUTHORIZED,
            "not logged in (no session, or it ended)",
        )
    })
}

/// A state-changing request: from this console's own origin, with a live
/// session and its CSRF token. Anything else is refused, naming why.
pub(crate) async fn post_auth(
    s: &AppState,
    headers: &HeaderMap,
    csrf: Option<&str>,
) -> Result<Authed, Response> {
    if let Some(r) = same_origin(s, headers) {
        return Err(r);
    }
    let Some(a) = authed(s, headers).await else {
        return Err(refusal(
            StatusCode::UNAUTHORIZED,
            "refused: not logged in (no session, or it ended); log in again",
        ));
    };
    match csrf {
        Some(t) if same_secret(t, &a.csrf) => Ok(a),
        _ => Err(refusal(
            StatusCode::FORBIDDEN,
            "refused: the form's CSRF token is missing or not this session's",
        )),
    }
}

/// The refusal of a request whose `Origin` is not this console's own.
pub(crate) fn same_origin(s: &AppState, headers: &HeaderMap) -> Option<Response> {
    origin_refusal(s, headers).map(|why| refusal(StatusCode::FORBIDDEN, &why))
}

/// Why a request's `Origin` is not this console's own, if it is not.
fn origin_refusal(s: &AppState, headers: &HeaderMap) -> Option<String> {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let scheme = if s.console.tls { "https" } else { "http" };
    let own = host.map(|h| format!("{scheme}://{h}"));
    let public = s.host.config().file.api.public_url.clone();
    let ok = origin.is_some_and(|o| {
        Some(o) == own.as_deref() || public.as_deref().map(|p| p.trim_end_matches('/')) == Some(o)
    });
    (!ok).then(|| {
        format!(
            "refused: a state-changing request must come from this console's own origin ({}), not {}",
            own.as_deref().unwrap_or("unknown"),
            origin.unwrap_or("a request without Origin")
        )
    })
}

/// Start a cookie session for `session`, whose key is `key`; returns the
/// `Set-Cookie` value.
///
/// # Errors
///
/// When the shared state cannot keep it, or the system has no randomness.
pub(crate) async fn start_cookie(
    s: &AppState,
    session: &Session,
    key: &ed25519_dalek::SigningKey,
) -> Result<String, shared::KeepError> {
    let value = shared::cookie_value()?;
    shared::put_cookie(s, &value, &session.id, key, session.not_after).await?;
    let age = (session.not_after - chrono::Utc::now().timestamp()).max(0);
    let secure = if s.console.tls { "; Secure" } else { "" };
    Ok(format!(
        "{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/console; Max-Age={age}{secure}"
    ))
}

/// Forget the request's cookie session; returns the clearing `Set-Cookie`.
pub(crate) async fn end_cookie(s: &AppState, headers: &HeaderMap) -> String {
    if let Some(v) = cookie_value(headers) {
        shared::drop_cookie(s, &v).await;
    }
    format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/console; Max-Age=0")
}

/// Leave a message for the next page this cookie loads.
pub(crate) async fn flash(s: &AppState, headers: &HeaderMap, message: String, until_s: i64) {
    if let Some(v) = cookie_value(headers) {
        shared::set_flash(s, &v, Some(message), until_s).await;
    }
}

/// A refusal as a small page with its status.
pub(crate) fn refusal(status: StatusCode, message: &str) -> Response {
    (status, layout::bare("Refused", message)).into_response()
}
