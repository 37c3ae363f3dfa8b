//! The host as a token-exchange authorization server: `POST /oauth/token`
//! exchanges (RFC 8693) a workload credential for a task token, with
//! RFC 6749's error codes. The discovery documents are in
//! [`discovery`](crate::api::discovery), the resource server's challenges
//! in [`challenge`](crate::api::challenge).
//!
//! The bearer credential is the host's alone: nothing of it reaches a
//! plugin.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::api::app::AppState;
use crate::api::discovery::{
    EXCHANGE, jwks, mcp_resource_metadata, origin_resource_metadata, resource_of, server_metadata,
};
use crate::authz::ExchangeRequest;
const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
const SUBJECT_TYPES: [&str; 3] = [
    "urn:ietf:params:oauth:token-type:jwt",
    "urn:ietf:params:oauth:token-type:id_token",
    ACCESS_TOKEN,
];

/// The OAuth routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth/token", post(token))
        .route(
            "/.well-known/oauth-protected-resource",
            get(origin_resource_metadata),
        )
        .route(
            "/.well-known/oauth-protected-resource/mcp",
            get(mcp_resource_metadata),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(server_metadata),
        )
        .route("/.well-known/jwks.json", get(jwks))
}

/// The parameters of a token request (each at most once, RFC 6749 §3.2).
#[derive(Debug, Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    subject_token: Option<String>,
    subject_token_type: Option<String>,
    requested_token_type: Option<String>,
    resource: Option<String>,
    audience: Option<String>,
    scope: Option<String>,
    /// warrant's extension: the task the token is for.
    task: Option<String>,
    /// warrant's extension: a shorter lifetime, in seconds.
    expires_in: Option<u64>,
    actor_token: Option<String>,
}

fn oauth_error(code: &str, why: &str) -> Response {
    let mut r = (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"error": code, "error_description": why})),
    )
        .into_response();
    no_store(&mut r);
    r
}

fn no_store(r: &mut Response) {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

async fn token(State(s): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let form: TokenForm = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(e) => {
            return oauth_error(
                "invalid_request",
                &format!(
                    "the body must be application/x-www-form-urlencoded, each parameter once: {e}"
                ),
            );
        }
    };
    match form.grant_type.as_deref() {
        None => {
            return oauth_error(
                "invalid_request",
                &format!(
                    "grant_type is required: this host exchanges workload credentials, grant_type={EXCHANGE}"
                ),
            );
        }
        Some(EXCHANGE) => {}
        Some(other) => {
            return oauth_error(
                "unsupported_grant_type",
                &format!(
                    "grant_type {other} is not supported: this host exchanges workload credentials only, grant_type={EXCHANGE}"
                ),
            );
        }
    }
    let Some(subject) = form.subject_token.as_deref() else {
        return oauth_error(
            "invalid_request",
            "subject_token is required: the workload's credential",
        );
    };
    if !form
        .subject_token_type
        .as_deref()
        .is_some_and(|t| SUBJECT_TYPES.contains(&t))
    {
        return oauth_error(
            "invalid_request",
            &format!(
                "subject_token_type must be one of {}",
                SUBJECT_TYPES.join(", ")
            ),
        );
    }
    if form.actor_token.is_some() {
        return oauth_error(
            "invalid_request",
            "delegation (actor_token) is not supported",
        );
    }
    if form
        .requested_token_type
        .as_deref()
        .is_some_and(|t| t != ACCESS_TOKEN)
    {
        return oauth_error(
            "invalid_request",
            &format!("requested_token_type can only be {ACCESS_TOKEN}"),
        );
    }
    let (_, resource) = resource_of(&s, &headers);
    for target in [&form.resource, &form.audience].into_iter().flatten() {
        if *target != resource {
            return oauth_error(
                "invalid_target",
                &format!("this host is the resource {resource}, not {target}"),
            );
        }
    }
    let Some(task) = form.task.as_deref() else {
        return oauth_error(
            "invalid_request",
            "task is required: the task the token is for",
        );
    };
    // A DPoP proof binds the token to the client's key (RFC 9449 §5).
    let dpop_jkt = match crate::api::dpop::verify(
        &s,
        &axum::http::Method::POST,
        &headers,
        "/oauth/token",
        None,
        false,
    )
    .await
    {
        Ok(jkt) => jkt,
        Err(e) => return oauth_error(e.code, &e.why),
    };
    let req = ExchangeRequest {
        subject_token: subject,
        task,
        tools: form
            .scope
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        ttl: form.expires_in.map(std::time::Duration::from_secs),
        resource: Some(resource),
        dpop_jkt,
    };
    match s.host.exchange(&req, "http").await {
        Ok(x) => {
            let mut r = axum::Json(json!({
                "access_token": x.token,
                "issued_token_type": ACCESS_TOKEN,
                "token_type": if x.claims.cnf.is_some() { "DPoP" } else { "Bearer" },
                "expires_in": (x.claims.exp - chrono::Utc::now().timestamp()).max(0),
                "scope": x.claims.tools.join(" "),
                "task": x.claims.task,
            }))
            .into_response();
            no_store(&mut r);
            r
        }
        Err(e) => oauth_error(e.code, &e.reason),
    }
}
