//! The MCP view of a held call's task (the tasks extension): its status,
//! and once it ended, the tool result or the JSON-RPC error of its refusal.

use rmcp::model::{
    CreateTaskResult, DetailedTask, JsonObject, MetaObject, Task, TaskPayload, TaskStatus,
};
use serde_json::{Value, json};

use crate::api::mcp_view::REFUSED;
use crate::api::task_view::{POLL_MS, Status, TaskView};

/// The task an agent polls, as the tasks extension shows it.
pub(crate) fn mcp_task(v: &TaskView) -> Task {
    let status = match v.status {
        Status::Working => TaskStatus::Working,
        Status::Completed => TaskStatus::Completed,
        Status::Failed => TaskStatus::Failed,
        Status::Cancelled => TaskStatus::Cancelled,
    };
    Task::new(v.id.clone(), status, v.created_at(), v.updated_at())
        .with_status_message(v.message.clone())
        .with_ttl_ms(v.ttl_ms)
        .with_poll_interval_ms(POLL_MS)
}

/// `resultType: "task"` for a call held for approval.
pub(crate) fn created(v: &TaskView) -> CreateTaskResult {
    let mut meta = MetaObject::new();
    meta.insert("warrant/call_id".into(), json!(v.call_id));
    meta.insert("warrant/approval_id".into(), json!(v.approval_id));
    CreateTaskResult::new(mcp_task(v)).with_meta(meta)
}

/// A task with what it ended with: the tool result, or the JSON-RPC error
/// of its refusal.
pub(crate) fn detailed(v: &TaskView) -> DetailedTask {
    let payload = match (&v.status, &v.ended) {
        (Status::Completed, Some(ended)) => match &ended.mcp {
            Value::Object(result) => TaskPayload::Completed {
                result: result.clone(),
            },
            _ => TaskPayload::Completed {
                result: JsonObject::new(),
            },
        },
        (Status::Failed, ended) => {
            let layer = ended
                .as_ref()
                .and_then(|e| e.layer.as_deref())
                .unwrap_or("host");
            let mut error = JsonObject::new();
            error.insert("code".into(), json!(REFUSED.0));
            error.insert("message".into(), json!(v.message));
            error.insert(
                "data".into(),
                json!({"layer": layer, "approval_id": v.approval_id, "call_id": v.call_id}),
            );
            TaskPayload::Failed { error }
        }
        (Status::Cancelled, _) => TaskPayload::Cancelled,
        _ => TaskPayload::Working,
    };
    DetailedTask::new(mcp_task(v), payload)
}
