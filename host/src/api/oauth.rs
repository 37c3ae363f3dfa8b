//! The host as an OAuth 2.1 resource server and a token-exchange
//! authorization server, as MCP clients expect it:
//!
//! - every request to `/mcp` needs an accepted bearer credential; without
//!   one, or with one that is malformed, expired, revoked or for another
//!   resource, the answer is HTTP 401 with `WWW-Authenticate: Bearer
//!   resource_metadata="…"` (and `error="invalid_token"` when a credential
//!   was presented, RFC 6750 §3.1), so a client knows to (re)authenticate;
//! - Protected Resource Metadata (RFC 9728) at
//!   `/.well-known/oauth-protected-resource[/mcp]`, naming this host's
//!   token endpoint and the organisation's authorization servers whose
//!   access tokens it accepts;
//! - Authorization Server Metadata (RFC 8414) at
//!   `/.well-known/oauth-authorization-server`;
//! - `POST /oauth/token`: token exchange (RFC 8693) of a workload
//!   credential for a task token.
//!
//! The bearer credential is the host's alone: nothing of it reaches a
//! plugin.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::api::app::AppState;
use crate::api::security::bearer;
use crate::authz::{ExchangeRequest, Refusal};

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
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
            get(resource_metadata),
        )
        .route(
            "/.well-known/oauth-protected-resource/mcp",
            get(resource_metadata),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(server_metadata),
        )
}

/// This host's base URL (`[api] public-url`, else the URL the request
/// reached) and resource identifier (`[api] resource`, else the base and
/// `/mcp`) for a request.
fn resource_of(s: &AppState, headers: &HeaderMap) -> (String, String) {
    let config = s.host.config();
    let api = &config.file.api;
    let base = match &api.public_url {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1");
            format!("http://{host}")
        }
    };
    let resource = api
        .resource
        .clone()
        .unwrap_or_else(|| format!("{base}/mcp"));
    (base, resource)
}

/// A quoted-string for a `WWW-Authenticate` parameter (RFC 6750 §3: no
/// `"` or `\`, printable ASCII only).
fn quoted(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' {
                c
            } else {
                '\''
            }
        })
        .take(300)
        .collect()
}

/// HTTP 401 with the challenge an MCP client follows.
fn challenge(s: &AppState, headers: &HeaderMap, error: Option<&str>) -> Response {
    let (base, _) = resource_of(s, headers);
    let mut value =
        format!("Bearer resource_metadata=\"{base}/.well-known/oauth-protected-resource/mcp\"");
    if let Some(e) = error {
        value.push_str(&format!(
            ", error=\"invalid_token\", error_description=\"{}\"",
            quoted(e)
        ));
    }
    let body = json!({"error": {"layer": "token", "message": error.unwrap_or(
        "no bearer credential: send Authorization: Bearer <task token or access token>; see WWW-Authenticate for where to get one"
    )}});
    let mut r = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

/// Middleware for `/mcp`: a credential the host accepts now, for this
/// resource.
pub(crate) async fn mcp_auth(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let Some(token) = bearer(req.headers()) else {
        return challenge_after_body(&s, req, None).await;
    };
    match s.host.admit(token).await {
        Ok(t) => {
            let (_, resource) = resource_of(&s, req.headers());
            if let Some(aud) = &t.aud
                && *aud != resource
            {
                let why = format!("the token is for {aud}, not this resource ({resource})");
                return challenge_after_body(&s, req, Some(&why)).await;
            }
        }
        Err(r @ (Refusal::Token(_) | Refusal::TokenTime { .. } | Refusal::Revoked { .. })) => {
            return challenge_after_body(&s, req, Some(&r.to_string())).await;
        }
        // Stopped agents and hosts are told so by the MCP answers.
        Err(_) => {}
    }
    next.run(req).await
}

/// The 401 challenge, once the request's body is read (at most 1 MiB, for
/// at most 2 s): answering before it would make the server close the
/// connection, and a client reusing it for its next request (the metadata
/// the challenge names) would see it dropped.
async fn challenge_after_body(s: &AppState, req: Request, why: Option<&str>) -> Response {
    let (parts, body) = req.into_parts();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        axum::body::to_bytes(body, 1 << 20),
    )
    .await;
    challenge(s, &parts.headers, why)
}

async fn resource_metadata(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let (base, resource) = resource_of(&s, &headers);
    let mut servers = vec![base.clone()];
    for i in s.host.config().issuers.iter().filter(|i| i.access_tokens) {
        servers.push(i.issuer.clone());
    }
    axum::Json(json!({
        "resource": resource,
        "authorization_servers": servers,
        "bearer_methods_supported": ["header"],
        "resource_name": "warrant",
        "resource_documentation": format!("{base}/v1/tools"),
    }))
    .into_response()
}

async fn server_metadata(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let (base, _) = resource_of(&s, &headers);
    axum::Json(json!({
        "issuer": base,
        "token_endpoint": format!("{base}/oauth/token"),
        "grant_types_supported": [EXCHANGE],
        "token_endpoint_auth_methods_supported": ["none"],
        "response_types_supported": [],
        "service_documentation": "https://github.com/warrant/warrant#agent-workload-identity",
    }))
    .into_response()
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
    if form.grant_type.as_deref() != Some(EXCHANGE) {
        let mut r = oauth_error(
            "unsupported_grant_type",
            &format!("this host exchanges workload credentials only: grant_type={EXCHANGE}"),
        );
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return r;
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
    };
    match s.host.exchange(&req, "http").await {
        Ok(x) => {
            let mut r = axum::Json(json!({
                "access_token": x.token,
                "issued_token_type": ACCESS_TOKEN,
                "token_type": "Bearer",
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
