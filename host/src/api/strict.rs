//! JSON-RPC messages are read strictly before rmcp parses them: a message
//! that names one key twice (at any depth — in its arguments, typically) is
//! refused with a JSON-RPC error, on stdio and HTTP alike. rmcp's parser
//! would keep the last of two equal keys; refusing is the only answer that
//! cannot make two readers of one message disagree.

use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use crate::vocab::parse_strict;

/// Longest MCP message accepted over HTTP, in bytes.
pub(crate) const MAX_MESSAGE: usize = 4 * 1024 * 1024;

/// JSON-RPC "Invalid Request".
const INVALID_REQUEST: i64 = -32600;

/// A JSON-RPC error response.
#[derive(Debug, Serialize)]
pub(crate) struct RpcError {
    jsonrpc: &'static str,
    id: Value,
    error: RpcErrorBody,
}

#[derive(Debug, Serialize)]
struct RpcErrorBody {
    code: i64,
    message: String,
}

impl RpcError {
    /// The error as one line of JSON.
    pub(crate) fn to_line(&self) -> String {
        // Plain data: serialising it cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The refusal of a message that names a key twice; `None` when the
/// message has no duplicate key (whether or not it is valid JSON-RPC —
/// rmcp answers everything else).
pub(crate) fn duplicate_keys(text: &str) -> Option<RpcError> {
    let why = match parse_strict(text) {
        Ok(_) => return None,
        Err(e) if e.to_string().contains("duplicate key") => e.to_string(),
        Err(_) => return None,
    };
    // The id, read leniently, so the client can match the error to its
    // request.
    let id = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("id").cloned())
        .unwrap_or(Value::Null);
    Some(RpcError {
        jsonrpc: "2.0",
        id,
        error: RpcErrorBody {
            code: INVALID_REQUEST,
            message: format!("Invalid Request: {why}"),
        },
    })
}

/// Middleware for `/mcp`: read a POSTed message strictly before rmcp does.
pub(crate) async fn strict_mcp(req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_MESSAGE).await {
        Ok(b) => b,
        Err(_) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("an MCP message may be at most {MAX_MESSAGE} bytes"),
            )
                .into_response();
        }
    };
    if let Ok(text) = std::str::from_utf8(&bytes)
        && let Some(err) = duplicate_keys(text)
    {
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            err.to_line(),
        )
            .into_response();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_anywhere_are_refused_with_the_id() {
        let e = duplicate_keys(r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x","arguments":{"arg":"b","arg":"a"}}}"#).unwrap();
        let line = e.to_line();
        assert!(
            line.contains("\"id\":7") && line.contains("-32600") && line.contains("duplicate key"),
            "{line}"
        );
        assert!(duplicate_keys(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).is_none());
        assert!(duplicate_keys("not json").is_none(), "rmcp answers that");
    }
}
