//! `/mcp` as an OAuth 2.1 resource server: every request needs a bearer
//! credential the host accepts now, for this resource. Without one, or
//! with one that is malformed, expired, revoked or for another resource,
//! the answer is HTTP 401 with `WWW-Authenticate: Bearer
//! resource_metadata="…", scope="…"` (and `error="invalid_token"` when a
//! credential was presented, RFC 6750 §3.1), so a client knows where to
//! get one and for which scopes: the tool a `tools/call` names, else every
//! `plugin.*` this host offers.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::api::app::AppState;
use crate::api::discovery::{resource_of, scopes_supported};
use crate::api::security::{bearer, quoted};
use crate::authz::Refusal;

/// The scopes a request needs, as far as its body says: the tool a
/// `tools/call` names, else every `plugin.*` of this host.
fn needed_scopes(s: &AppState, body: &[u8]) -> Vec<String> {
    let named = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
        (v.get("method")? == "tools/call")
            .then(|| v.get("params")?.get("name")?.as_str().map(str::to_owned))
            .flatten()
    });
    let registry = s.host.registry();
    if let Some(q) = named.as_deref().and_then(|n| registry.qualified_of_mcp(n))
        && registry.resolve(&q).is_some()
    {
        return vec![q];
    }
    scopes_supported(s)
        .into_iter()
        .filter(|p| p.ends_with(".*"))
        .collect()
}

/// HTTP 401 with the challenge an MCP client follows.
fn challenge(s: &AppState, headers: &HeaderMap, body: &[u8], error: Option<&str>) -> Response {
    let (base, _) = resource_of(s, headers);
    let mut value =
        format!("Bearer resource_metadata=\"{base}/.well-known/oauth-protected-resource/mcp\"");
    let scopes = needed_scopes(s, body);
    if !scopes.is_empty() {
        value.push_str(&format!(", scope=\"{}\"", quoted(&scopes.join(" "))));
    }
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
    let Some(token) = bearer(req.headers()).map(str::to_owned) else {
        return challenge_after_body(&s, req, None, None).await;
    };
    let token = token.as_str();
    let sender =
        match crate::api::dpop::sender(&s, req.method(), req.headers(), "/mcp", token).await {
            Ok(sender) => sender,
            Err(e) => return crate::api::dpop::challenge(&s, e.code, &e.why),
        };
    let mut req = req;
    match s.host.admit_from(token, &sender).await {
        Ok(t) => {
            let (_, resource) = resource_of(&s, req.headers());
            if let Some(aud) = &t.aud
                && *aud != resource
            {
                let why = format!("the token is for {aud}, not this resource ({resource})");
                return challenge_after_body(&s, req, Some(&why), None).await;
            }
            // Step-up: a call of a tool outside the token's scope, or one
            // a policy denies for want of a step-up scope, is recorded like
            // any refused call and answered 403 insufficient_scope, naming
            // every scope it needs.
            let (parts, body) = req.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, crate::api::strict::MAX_MESSAGE).await
            else {
                return (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "an MCP message may be at most 4 MiB",
                )
                    .into_response();
            };
            if t.via.is_some()
                && let Some(call) = tool_call(&s, &bytes, token, &sender)
                && let Some(answer) = step_up(&s, &parts.headers, &bytes, &t, call).await
            {
                return answer;
            }
            req = Request::from_parts(parts, axum::body::Body::from(bytes));
        }
        // A `tools/call` with it is made anyway, so that the refusal is
        // recorded in the story of the task the token names (claimed,
        // when it did not verify).
        Err(r @ (Refusal::Token(_) | Refusal::TokenTime { .. } | Refusal::Revoked { .. })) => {
            let why = r.to_string();
            return challenge_after_body(&s, req, Some(&why), Some((token, &sender))).await;
        }
        Err(r @ Refusal::Sender { .. }) => {
            return refuse_sender(&s, req, token, sender, &r).await;
        }
        // Stopped agents and hosts are told so by the MCP answers.
        Err(_) => {}
    }
    req.extensions_mut().insert(sender);
    next.run(req).await
}

/// A token its sender did not prove it may present (DPoP): a `tools/call`
/// is made anyway so that the refusal is recorded like any refused call;
/// the answer is RFC 9449's 401.
async fn refuse_sender(
    s: &AppState,
    req: Request,
    token: &str,
    sender: crate::authz::Sender,
    refusal: &Refusal,
) -> Response {
    let code = crate::api::dpop::sender_code(&sender);
    let body = axum::body::to_bytes(req.into_body(), crate::api::strict::MAX_MESSAGE)
        .await
        .unwrap_or_default();
    if let Some(call) = tool_call(s, &body, token, &sender) {
        let _ = s.host.call(call).await;
    }
    crate::api::dpop::challenge(s, code, &refusal.to_string())
}

/// The 401 challenge, once the request's body is read (at most 1 MiB, for
/// at most 2 s): answering before it would make the server close the
/// connection, and a client reusing it for its next request (the metadata
/// the challenge names) would see it dropped.
/// With `refused` (the token and its sender), a `tools/call` in the body is
/// made first so that its refusal is recorded.
async fn challenge_after_body(
    s: &AppState,
    req: Request,
    why: Option<&str>,
    refused: Option<(&str, &crate::authz::Sender)>,
) -> Response {
    let (parts, body) = req.into_parts();
    let body = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        axum::body::to_bytes(body, 1 << 20),
    )
    .await
    .ok()
    .and_then(Result::ok)
    .unwrap_or_default();
    if let Some((token, sender)) = refused
        && let Some(call) = tool_call(s, &body, token, sender)
    {
        let _ = s.host.call(call).await;
    }
    challenge(s, &parts.headers, &body, why)
}

/// The call a `tools/call` message asks for, under `token` from `sender`.
fn tool_call(
    s: &AppState,
    body: &[u8],
    token: &str,
    sender: &crate::authz::Sender,
) -> Option<crate::CallRequest> {
    let v = serde_json::from_slice::<Value>(body).ok()?;
    if v.get("method").and_then(Value::as_str) != Some("tools/call") {
        return None;
    }
    let params = v.get("params")?;
    let name = params.get("name")?.as_str()?;
    let tool = s
        .host
        .registry()
        .qualified_of_mcp(name)
        .unwrap_or_else(|| name.to_owned());
    let input = crate::CallInput::from_value(
        params
            .get("arguments")
            .cloned()
            .unwrap_or_else(|| json!({})),
    );
    Some(crate::CallRequest {
        token: token.to_owned(),
        tool,
        input,
        channel: "mcp",
        sender: sender.clone(),
        ..crate::CallRequest::default()
    })
}

/// The step-up answer to `call` (an OAuth client's `tools/call` in
/// `body`), if it needs one: when the tool is outside the token's scope or
/// the policies ask for a step-up scope the token lacks, the call is made
/// (so its refusal is recorded) and answered 403 `insufficient_scope`.
async fn step_up(
    s: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    t: &crate::authz::TaskToken,
    call: crate::CallRequest,
) -> Option<Response> {
    let loaded = s.host.loaded();
    loaded.registry.resolve(&call.tool)?;
    let asked = call.tool.clone();
    let outside = !t
        .tools
        .iter()
        .any(|p| crate::authz::tool_matches(p, &asked));
    if !outside {
        let now = chrono::Utc::now();
        loaded
            .authz
            .step_up_needed(&loaded.registry, t, &asked, &call.input, now)
            .await?;
    }
    let resp = s.host.call(call).await;
    match &resp.outcome {
        Err(crate::CallError::Refused(r)) if let Some(scopes) = step_up_scopes(r, &asked) => {
            return Some(insufficient_scope(s, headers, &scopes, &r.to_string()));
        }
        // Outside the token's scope, whatever else refused it first.
        Err(e) if outside => {
            return Some(insufficient_scope(s, headers, &[asked], &e.to_string()));
        }
        _ => {}
    }
    // The rules changed between the dry run and the call (a reload): the
    // call is answered as it was decided.
    let id = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("id").cloned())
        .unwrap_or(Value::Null);
    let mut result = serde_json::to_value(crate::api::mcp_view::tool_result(resp)).ok()?;
    result["resultType"] = json!("complete");
    Some(axum::Json(json!({"jsonrpc": "2.0", "id": id, "result": result})).into_response())
}

/// Every scope a call refused by `r` needs, when a token with more scope
/// would make it: the tool outside the token's scope, or the tool and the
/// step-up scopes the policies ask for.
pub(crate) fn step_up_scopes(r: &Refusal, tool: &str) -> Option<Vec<String>> {
    match r {
        Refusal::Scope { tool, .. } => Some(vec![tool.clone()]),
        Refusal::Policy { scopes, .. } if !scopes.is_empty() => Some(
            std::iter::once(tool.to_owned())
                .chain(scopes.iter().cloned())
                .collect(),
        ),
        _ => None,
    }
}

/// HTTP 403 with `WWW-Authenticate: Bearer error="insufficient_scope",
/// scope="…"` naming every scope the operation needs (step-up).
pub(crate) fn insufficient_scope(
    s: &AppState,
    headers: &HeaderMap,
    scopes: &[String],
    why: &str,
) -> Response {
    let (base, _) = resource_of(s, headers);
    let value = format!(
        "Bearer error=\"insufficient_scope\", scope=\"{}\", resource_metadata=\"{base}/.well-known/oauth-protected-resource/mcp\", error_description=\"{}\"",
        quoted(&scopes.join(" ")),
        quoted(why)
    );
    let body = json!({"error": {"layer": "scope", "message": why, "scope": scopes.join(" ")}});
    let mut r = (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}
