//! Logging in and out: the login page, the one-time link of `warrant
//! console login`, the OpenID provider's redirect, logout.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;

use crate::api::app::AppState;
use crate::api::console::layout::bare_with;
use crate::api::console::oidc;
use crate::api::console::{end_cookie, post_auth, refusal, same_origin, start_cookie};
use crate::api::operator_api::status_of;
use crate::keys::sha256_hex;
use crate::operator::{LoginGrant, Session};

/// The cookie binding an OpenID login to the browser that started it.
const LOGIN_COOKIE: &str = "warrant_login";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/login", get(login_page))
        .route("/console/login/link", post(link))
        .route("/console/login/oidc", get(oidc_start))
        .route("/console/oidc/callback", get(oidc_callback))
        .route("/console/logout", post(logout))
}

async fn login_page(State(s): State<AppState>) -> Response {
    let oidc = s.host.config().console.oidc.clone();
    bare_with(
        "Log in",
        &html! {
            @if let Some(o) = &oidc {
                p { a.button #oidc-login href="/console/login/oidc" { "Log in at " (o.issuer) } }
                p.muted { "or with a login link:" }
            }
            p {
                "Run " code { "warrant console login --key YOUR-KEY" }
                " and open the link it prints (good for 5 minutes, once), or paste it here."
            }
            form #link-login method="post" action="/console/login/link" {
                input #grant type="text" name="grant" required placeholder="login link or code" aria-label="login link";
                button type="submit" { "Log in" }
            }
        },
    )
    .into_response()
}

#[derive(Debug, Deserialize)]
struct LinkForm {
    grant: String,
}

/// The session cookie and the way into the console. A meta refresh, not a
/// redirect: the navigation then starts on this site, so the SameSite=Strict
/// cookie goes with it.
async fn logged_in(s: &AppState, session: &Session, key: &ed25519_dalek::SigningKey) -> Response {
    let cookie = match start_cookie(s, session, key).await {
        Ok(c) => c,
        Err(e) => {
            return refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("login refused: the session cannot be kept in the shared state: {e}"),
            );
        }
    };
    (
        [(header::SET_COOKIE, cookie)],
        bare_with(
            "Logged in",
            &html! {
                meta http-equiv="refresh" content="0;url=/console";
                p { "Logged in as " (session.operator) ". " a href="/console" { "Open the console" } }
            },
        ),
    )
        .into_response()
}

async fn link(
    State(s): State<AppState>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<LinkForm>,
) -> Response {
    if let Some(r) = same_origin(&s, &headers) {
        return r;
    }
    let text = f
        .grant
        .rsplit_once("#grant=")
        .map_or(f.grant.as_str(), |(_, g)| g);
    let (login, key) = match LoginGrant::decode(text) {
        Ok(g) => g,
        Err(why) => return refusal(StatusCode::BAD_REQUEST, &format!("login refused: {why}")),
    };
    match s
        .host
        .operator()
        .open_link_session(&login, key.clone())
        .await
    {
        Ok(session) => logged_in(&s, &session, &key).await,
        Err(e) => refusal(status_of(&e), &format!("login refused: {e}")),
    }
}

#[derive(Debug, Deserialize)]
struct LogoutForm {
    csrf: Option<String>,
}

async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<LogoutForm>,
) -> Response {
    let a = match post_auth(&s, &headers, f.csrf.as_deref()).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    s.host
        .operator()
        .close_session(&a.session.id, "logged out")
        .await;
    let cookie = end_cookie(&s, &headers).await;
    (
        [(header::SET_COOKIE, cookie)],
        bare_with(
            "Logged out",
            &html! { p { (a.session.operator) " logged out. " a href="/console/login" { "Log in again" } } },
        ),
    )
        .into_response()
}

/// This console's own URL for the provider to send the browser back to.
fn redirect_uri(s: &AppState, headers: &HeaderMap) -> String {
    let base = match &s.host.config().file.api.public_url {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1");
            let scheme = if s.console.tls { "https" } else { "http" };
            format!("{scheme}://{host}")
        }
    };
    format!("{base}/console/oidc/callback")
}

fn tls(s: &AppState) -> Result<std::sync::Arc<rustls::ClientConfig>, String> {
    crate::outbound::tls_config(&s.host.config().egress_ca_files)
}

async fn oidc_start(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let Some(o) = s.host.config().console.oidc.clone() else {
        return refusal(
            StatusCode::NOT_FOUND,
            "no OpenID provider is configured ([console.oidc] in warrant.toml); log in with a link",
        );
    };
    let tls = match tls(&s) {
        Ok(t) => t,
        Err(e) => return refusal(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let browser = match super::shared::cookie_value() {
        Ok(v) => v,
        Err(e) => {
            return refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("login refused: {e}"),
            );
        }
    };
    let uri = redirect_uri(&s, &headers);
    match oidc::start(&o, &tls, uri, sha256_hex(browser.as_bytes())).await {
        Ok((url, state, pending)) => {
            if let Err(e) = super::shared::put_login(&s, &state, &browser, &pending).await {
                return refusal(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &format!("the login cannot be kept in the shared state: {e}"),
                );
            }
            let secure = if s.console.tls { "; Secure" } else { "" };
            let cookie = format!(
                "{LOGIN_COOKIE}={browser}; HttpOnly; SameSite=Lax; Path=/console/oidc; Max-Age=600{secure}"
            );
            ([(header::SET_COOKIE, cookie)], Redirect::to(&url)).into_response()
        }
        Err(why) => refusal(
            StatusCode::BAD_GATEWAY,
            &format!("the OpenID provider {} cannot be used: {why}", o.issuer),
        ),
    }
}

#[derive(Debug, Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn oidc_callback(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> Response {
    let Some(o) = s.host.config().console.oidc.clone() else {
        return refusal(StatusCode::NOT_FOUND, "no OpenID provider is configured");
    };
    if let Some(e) = q.error {
        let why = q.error_description.unwrap_or_default();
        return refusal(
            StatusCode::UNAUTHORIZED,
            &format!("the provider refused the login: {e} {why}"),
        );
    }
    let (Some(code), Some(state)) = (q.code, q.state) else {
        return refusal(StatusCode::BAD_REQUEST, "login refused: no code or state");
    };
    let browser = super::cookie_named(&headers, LOGIN_COOKIE).unwrap_or_default();
    let Some(pending) = super::shared::take_login(&s, &state, &browser).await else {
        return refusal(
            StatusCode::UNAUTHORIZED,
            "login refused: this login was not started in this browser, was used, or took over 10 minutes",
        );
    };
    let tls = match tls(&s) {
        Ok(t) => t,
        Err(e) => return refusal(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let verified = match oidc::finish(&o, &tls, &code, &pending).await {
        Ok(v) => v,
        Err(why) => return refusal(StatusCode::UNAUTHORIZED, &format!("login refused: {why}")),
    };
    match s
        .host
        .operator()
        .open_oidc_session(verified, pending.key.clone())
        .await
    {
        Ok(session) => logged_in(&s, &session, &pending.key).await,
        Err(e) => refusal(StatusCode::FORBIDDEN, &format!("login refused: {e}")),
    }
}
