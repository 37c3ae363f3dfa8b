//! JSON-RPC messages are read strictly before rmcp parses them, on stdio
//! and HTTP alike, and answered as JSON-RPC 2.0 defines when they are not
//! messages rmcp should see:
//!
//! - not JSON → -32700 Parse error;
//! - a key named twice at any depth (in the arguments, typically) →
//!   -32600: rmcp's parser would keep the last of two equal keys, and
//!   refusing is the only answer that cannot make two readers disagree;
//! - a batch (an array), which MCP removed in 2025-06-18 → -32600, saying
//!   so; not an object, no `"jsonrpc": "2.0"`, a `method` or `id` of the
//!   wrong type → -32600;
//! - `initialize`, `tools/list` or `tools/call` with missing or ill-typed
//!   params → -32602 Invalid params, naming the field (rmcp would answer
//!   "method not found");
//! - an `initialize` in the style of protocol version 2026-07-28 (its
//!   version in `_meta`), a revision without the handshake → -32601
//!   Method not found, as for any method the server does not implement
//!   (HTTP 404 on streamable HTTP).
//!
//! Everything else — unknown methods included (-32601) — is rmcp's.

use serde::Serialize;
use serde_json::Value;

use crate::vocab::parse_strict;

/// Longest MCP message accepted over HTTP, in bytes.
pub(crate) const MAX_MESSAGE: usize = 4 * 1024 * 1024;

/// JSON-RPC "Parse error".
pub(crate) const PARSE_ERROR: i64 = -32700;
/// JSON-RPC "Invalid Request".
pub(crate) const INVALID_REQUEST: i64 = -32600;
/// JSON-RPC "Invalid params".
pub(crate) const INVALID_PARAMS: i64 = -32602;
/// JSON-RPC "Method not found".
pub(crate) const METHOD_NOT_FOUND: i64 = -32601;
/// The first protocol version without the `initialize` handshake.
const STATELESS: &str = "2026-07-28";
/// Where a 2026-07-28 request names its protocol version.
const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";

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
    pub(crate) fn new(id: Value, code: i64, message: String) -> Self {
        Self {
            jsonrpc: "2.0",
            id,
            error: RpcErrorBody { code, message },
        }
    }

    /// The error code.
    pub(crate) fn code(&self) -> i64 {
        self.error.code
    }

    /// The error as one line of JSON.
    pub(crate) fn to_line(&self) -> String {
        // Plain data: serialising it cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What to do with one incoming message.
#[derive(Debug)]
pub(crate) enum Checked {
    /// rmcp may have it.
    Pass,
    /// Answer this error instead.
    Answer(RpcError),
    /// An invalid notification: JSON-RPC answers none.
    Drop,
}

/// Check one message (one line on stdio, one body over HTTP).
pub(crate) fn check_message(text: &str) -> Checked {
    let v = match parse_strict(text) {
        Ok(v) => v,
        Err(e) if e.to_string().contains("duplicate key") => {
            // The id, read leniently, so the client can match the error.
            let id = serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|v| v.get("id").cloned())
                .unwrap_or(Value::Null);
            return Checked::Answer(RpcError::new(
                id,
                INVALID_REQUEST,
                format!("Invalid Request: {e}"),
            ));
        }
        Err(e) => {
            return Checked::Answer(RpcError::new(
                Value::Null,
                PARSE_ERROR,
                format!("Parse error: {e}"),
            ));
        }
    };
    let invalid = |id: Value, why: &str| {
        Checked::Answer(RpcError::new(
            id,
            INVALID_REQUEST,
            format!("Invalid Request: {why}"),
        ))
    };
    let m = match v {
        Value::Array(items) if items.is_empty() => return invalid(Value::Null, "an empty batch"),
        Value::Array(_) => {
            return invalid(
                Value::Null,
                "JSON-RPC batches are not supported: MCP removed them in protocol version 2025-06-18; send one message per request (or line)",
            );
        }
        Value::Object(m) => m,
        _ => return invalid(Value::Null, "a message is a JSON object"),
    };
    let id = m.get("id").cloned();
    if let Some(i) = &id
        && !(i.is_string() || i.is_number() || i.is_null())
    {
        return invalid(Value::Null, "`id` must be a string or a number");
    }
    let reply_id = id.clone().unwrap_or(Value::Null);
    if m.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return invalid(reply_id, "`jsonrpc` must be \"2.0\"");
    }
    let Some(method) = m.get("method") else {
        // A response to the server, or a malformed one: rmcp's.
        return Checked::Pass;
    };
    let Some(method) = method.as_str() else {
        return invalid(reply_id, "`method` must be a string");
    };
    if method == "initialize" && stateless_version(m.get("params")).is_some() {
        return match id {
            None => Checked::Drop,
            Some(id) => Checked::Answer(RpcError::new(
                id,
                METHOD_NOT_FOUND,
                format!(
                    "Method not found: initialize (protocol version {STATELESS} has no handshake: \
                     call server/discover, or send each request with its version in _meta)"
                ),
            )),
        };
    }
    match (params_problem(method, m.get("params")), id) {
        (None, _) => Checked::Pass,
        (Some(_), None) => Checked::Drop,
        (Some(why), Some(id)) => Checked::Answer(RpcError::new(
            id,
            INVALID_PARAMS,
            format!("Invalid params for {method}: {why}"),
        )),
    }
}

/// The protocol version a request's `_meta` names, when it is one without
/// the `initialize` handshake (2026-07-28 or later: dates compare as text).
fn stateless_version(params: Option<&Value>) -> Option<&str> {
    params?
        .get("_meta")?
        .get(META_VERSION)?
        .as_str()
        .filter(|v| *v >= STATELESS)
}

/// What is wrong with the params of a method this server checks.
fn params_problem(method: &str, params: Option<&Value>) -> Option<String> {
    let obj = |p: Option<&Value>,
               required: bool|
     -> Result<Option<serde_json::Map<String, Value>>, String> {
        match p {
            None | Some(Value::Null) if !required => Ok(None),
            None | Some(Value::Null) => Err("`params` is required (an object)".into()),
            Some(Value::Object(o)) => Ok(Some(o.clone())),
            Some(_) => Err("`params` must be an object".into()),
        }
    };
    let string = |o: &serde_json::Map<String, Value>, k: &str, required: bool| match o.get(k) {
        Some(Value::String(_)) => None,
        None if !required => None,
        None => Some(format!("`{k}` is required (a string)")),
        Some(_) => Some(format!("`{k}` must be a string")),
    };
    let object = |o: &serde_json::Map<String, Value>, k: &str, required: bool| match o.get(k) {
        Some(Value::Object(_)) => None,
        None if !required => None,
        None => Some(format!("`{k}` is required (an object)")),
        Some(_) => Some(format!("`{k}` must be an object")),
    };
    let checked = match method {
        "initialize" => obj(params, true).map(|o| {
            let o = o.unwrap_or_default();
            string(&o, "protocolVersion", true)
                .or_else(|| object(&o, "capabilities", true))
                .or_else(|| object(&o, "clientInfo", true))
                .or_else(|| {
                    let info = o
                        .get("clientInfo")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    string(&info, "name", true)
                        .or_else(|| string(&info, "version", true))
                        .map(|w| format!("clientInfo: {w}"))
                })
        }),
        "tools/call" => obj(params, true).map(|o| {
            let o = o.unwrap_or_default();
            string(&o, "name", true)
                .or_else(|| object(&o, "arguments", false))
                .or_else(|| object(&o, "_meta", false))
        }),
        "tools/list" => obj(params, false).map(|o| o.and_then(|o| string(&o, "cursor", false))),
        _ => Ok(None),
    };
    checked.unwrap_or_else(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> Option<i64> {
        match check_message(text) {
            Checked::Answer(e) => Some(e.code()),
            Checked::Pass | Checked::Drop => None,
        }
    }

    #[test]
    fn every_kind_of_bad_message_gets_its_json_rpc_error() {
        let dup = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x","arguments":{"arg":"b","arg":"a"}}}"#;
        let Checked::Answer(e) = check_message(dup) else {
            panic!("refused")
        };
        let line = e.to_line();
        assert!(
            line.contains("\"id\":7") && line.contains("-32600") && line.contains("duplicate key"),
            "{line}"
        );
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#), None);
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"nope"}"#),
            None,
            "rmcp: -32601"
        );
        assert_eq!(code("not json"), Some(PARSE_ERROR));
        assert_eq!(code(r#"{"jsonrpc":"2.0","#), Some(PARSE_ERROR));
        assert_eq!(
            code(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#),
            Some(INVALID_REQUEST)
        );
        assert_eq!(code("[]"), Some(INVALID_REQUEST));
        assert_eq!(code("5"), Some(INVALID_REQUEST));
        assert_eq!(code(r#"{"id":1,"method":"ping"}"#), Some(INVALID_REQUEST));
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":5}"#),
            Some(INVALID_REQUEST)
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#),
            Some(INVALID_REQUEST)
        );
        for bad in [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":5}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":[1]}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":1}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":5}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x"}}}"#,
        ] {
            assert_eq!(code(bad), Some(INVALID_PARAMS), "{bad}");
        }
        assert!(matches!(
            check_message(r#"{"jsonrpc":"2.0","method":"tools/call"}"#),
            Checked::Drop
        ));
        // 2026-07-28 has no handshake: its initialize is an unknown method,
        // while an older client's initialize is still checked and passed.
        assert_eq!(
            code(
                r#"{"jsonrpc":"2.0","id":3,"method":"initialize","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#
            ),
            Some(METHOD_NOT_FOUND)
        );
        assert_eq!(
            code(
                r#"{"jsonrpc":"2.0","id":3,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2025-11-25"}}}"#
            ),
            None
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#),
            None
        );
        assert_eq!(
            code(
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a__b","arguments":{}}}"#
            ),
            None
        );
    }
}
