//! The HTTP side of `/mcp` before rmcp: every POSTed message read strictly
//! ([`check_message`]), session DELETEs answered by the book (a session
//! another host of the fleet began is one too).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::SessionId;
use rmcp::transport::streamable_http_server::session::SessionManager as _;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use serde_json::Value;

use crate::api::mcp_sessions::SharedSessions;
use crate::api::strict::{
    Checked, INVALID_PARAMS, INVALID_REQUEST, MAX_MESSAGE, METHOD_NOT_FOUND, PARSE_ERROR, RpcError,
    check_message,
};

/// Middleware for `/mcp`: read a POSTed message strictly before rmcp does
/// ([`check_message`]); answer a session's DELETE with 204 No Content, or
/// 404 Not Found when there is no such session.
pub(crate) async fn strict_mcp(
    State((sessions, shared)): State<(Arc<LocalSessionManager>, Arc<SharedSessions>)>,
    req: Request,
    next: Next,
) -> Response {
    if req.method() == Method::DELETE {
        let id = req
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .map(|s| SessionId::from(s.to_owned()));
        if let Some(id) = id
            && !sessions.has_session(&id).await.unwrap_or(false)
            && !shared.known(&id).await
        {
            let e = RpcError::new(
                Value::Null,
                INVALID_REQUEST,
                "Invalid Request: no such session (it ended, or never began)".into(),
            );
            return answer(StatusCode::NOT_FOUND, &e);
        }
        let mut r = next.run(req).await;
        if r.status() == StatusCode::ACCEPTED {
            *r.status_mut() = StatusCode::NO_CONTENT;
        }
        return r;
    }
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_MESSAGE).await {
        Ok(b) => b,
        Err(_) => {
            let e = RpcError::new(
                Value::Null,
                INVALID_REQUEST,
                format!("Invalid Request: an MCP message may be at most {MAX_MESSAGE} bytes"),
            );
            return answer(StatusCode::PAYLOAD_TOO_LARGE, &e);
        }
    };
    let checked = match std::str::from_utf8(&bytes) {
        Ok(text) => check_message(text),
        Err(e) => Checked::Answer(RpcError::new(
            Value::Null,
            PARSE_ERROR,
            format!("Parse error: not UTF-8: {e}"),
        )),
    };
    match checked {
        Checked::Pass => {
            next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                .await
        }
        Checked::Drop => StatusCode::ACCEPTED.into_response(),
        Checked::Answer(e) => {
            // A message that is not one is the transport's 400; a request
            // with bad params is answered like any request; a method the
            // server does not implement is 404 (2026-07-28).
            let status = match e.code() {
                INVALID_PARAMS => StatusCode::OK,
                METHOD_NOT_FOUND => StatusCode::NOT_FOUND,
                _ => StatusCode::BAD_REQUEST,
            };
            answer(status, &e)
        }
    }
}

fn answer(status: StatusCode, e: &RpcError) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        e.to_line(),
    )
        .into_response()
}
