//! The MCP views of warrant's tools and call answers (tasks: `mcp_task_view`).

use std::sync::Arc;

use rmcp::model::{
    CallToolResult, ContentBlock, ErrorCode, JsonObject, MetaObject, Tool, ToolAnnotations,
};
use serde_json::{Value, json};

use crate::authz::Refusal;
use crate::vocab::Impact;
use crate::{CallError, CallResponse, ToolView};

/// JSON-RPC error code for a task token (or agent, or host state) that does
/// not allow listing tools. (Server-defined range; -32000 to -32003 and
/// -32020 to -32042 are taken by MCP itself.)
pub const REFUSED: ErrorCode = ErrorCode(-32010);

/// A tool's input schema as every client's schema converter reads it: a
/// nullable type (`"type": ["string", "null"]`, or `anyOf` with
/// `{"type": "null"}`), which Rust's `Option` fields produce, becomes its
/// non-null type. Such a property is optional already (not `required`), so
/// nothing a client may send changes; the host still checks the signed
/// schema's own meaning.
pub(crate) fn portable(v: Value) -> Value {
    match v {
        Value::Object(mut m) => {
            if let Some(Value::Array(types)) = m.get("type") {
                let rest: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
                if rest.len() == 1 {
                    m.insert(
                        "type".into(),
                        rest.into_iter().next().unwrap_or(Value::Null),
                    );
                }
            }
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(alts)) = m.get(key) {
                    let rest: Vec<Value> = alts
                        .iter()
                        .filter(|a| a.get("type").and_then(Value::as_str) != Some("null"))
                        .cloned()
                        .collect();
                    if rest.len() == 1 && alts.len() == 2 {
                        m.remove(key);
                        if let Some(Value::Object(only)) = rest.into_iter().next() {
                            for (k, v) in only {
                                m.entry(k).or_insert(v);
                            }
                        }
                    }
                }
            }
            if m.get("default") == Some(&Value::Null) {
                m.remove("default");
            }
            Value::Object(m.into_iter().map(|(k, v)| (k, portable(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(portable).collect()),
        other => other,
    }
}

/// The MCP view of a tool: name, title, description, input schema (always
/// an object schema) and hints from its impact level.
pub(crate) fn mcp_tool(v: &ToolView, name: String) -> Tool {
    let mut schema = match serde_json::from_str::<Value>(&v.input_schema).map(portable) {
        Ok(Value::Object(m)) => m,
        _ => JsonObject::new(),
    };
    schema.entry("type").or_insert_with(|| json!("object"));
    let (read_only, destructive) = match v.impact {
        Impact::Read => (true, false),
        Impact::Write => (false, false),
        Impact::High => (false, true),
    };
    let hints = ToolAnnotations::with_title(v.qualified.clone())
        .read_only(read_only)
        .destructive(destructive);
    let mut meta = MetaObject::new();
    meta.insert("warrant/tool".into(), json!(v.qualified));
    meta.insert("warrant/impact".into(), json!(v.impact.as_str()));
    let tool = Tool::new(name, v.description.clone(), Arc::new(schema))
        .with_title(v.qualified.clone())
        .with_annotations(hints)
        .with_meta(meta);
    // A signed output schema of an object is MCP's `outputSchema` (every
    // revision takes objects); the output then comes as structuredContent.
    match v
        .output_schema
        .as_deref()
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .map(portable)
    {
        Some(Value::Object(o)) if o.get("type") == Some(&json!("object")) => {
            tool.with_raw_output_schema(Arc::new(o))
        }
        _ => tool,
    }
}

/// A call's answer as an MCP tool result.
pub(crate) fn tool_result(resp: CallResponse) -> CallToolResult {
    let mut meta = MetaObject::new();
    meta.insert("warrant/call_id".into(), json!(resp.call_id));
    meta.insert("warrant/audit_seq".into(), json!(resp.audit_seq));
    match resp.outcome {
        Ok(out) => {
            meta.insert("warrant/outcome".into(), json!("ok"));
            let structured = match serde_json::from_str::<Value>(&out) {
                Ok(v @ Value::Object(_)) => Some(v),
                _ => None,
            };
            let mut r = CallToolResult::success(vec![ContentBlock::text(out)]);
            r.structured_content = structured;
            r.with_meta(Some(meta))
        }
        Err(e) => {
            meta.insert("warrant/outcome".into(), json!(e.kind()));
            if let CallError::Refused(r) = &e {
                meta.insert("warrant/layer".into(), json!(r.layer()));
            }
            if let CallError::Refused(Refusal::PendingApproval { approval_id, .. }) = &e {
                meta.insert("warrant/approval_id".into(), json!(approval_id));
            }
            CallToolResult::error(vec![ContentBlock::text(e.to_string())]).with_meta(Some(meta))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_calls_carry_their_approval_id() {
        let r = tool_result(CallResponse {
            call_id: "call-1".into(),
            audit_seq: Some(7),
            outcome: Err(CallError::Refused(Refusal::PendingApproval {
                approval_id: "apr-1".into(),
                approvers: "carol".into(),
                why: "high".into(),
            })),
        });
        assert_eq!(r.is_error, Some(true));
        let meta = r.meta.unwrap();
        assert_eq!(meta.get("warrant/approval_id"), Some(&json!("apr-1")));
        assert_eq!(meta.get("warrant/audit_seq"), Some(&json!(7)));
    }
}
