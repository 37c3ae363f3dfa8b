//! A call's answer over HTTP/JSON, shared by `/v1` calls and `/v1/tasks`:
//! the status of each outcome and the body.

use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use serde_json::Value;

use crate::api::security::{ApiFault, bearer};
use crate::authz::Refusal;
use crate::{CallError, CallFailure, CallResponse};

/// The bearer credential of a request, or nothing.
pub(crate) fn token(headers: &HeaderMap) -> String {
    bearer(headers).unwrap_or_default().to_owned()
}

/// The HTTP status of a refusal.
pub(crate) fn refusal_status(r: &Refusal) -> StatusCode {
    match r {
        Refusal::Token(_)
        | Refusal::TokenTime { .. }
        | Refusal::Revoked { .. }
        | Refusal::Sender { .. } => StatusCode::UNAUTHORIZED,
        Refusal::PendingApproval { .. } => StatusCode::ACCEPTED,
        Refusal::UnknownTool(_) => StatusCode::NOT_FOUND,
        Refusal::Input(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Refusal::Rate(_) | Refusal::Concurrency(_) => StatusCode::TOO_MANY_REQUESTS,
        Refusal::Host(_) | Refusal::Degraded { .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::FORBIDDEN,
    }
}

impl From<Refusal> for ApiFault {
    fn from(r: Refusal) -> Self {
        ApiFault::new(refusal_status(&r), r.layer(), r.to_string())
    }
}

/// The HTTP status of a call that produced no output.
fn error_status(e: &CallError) -> StatusCode {
    match e {
        CallError::Refused(r) => refusal_status(r),
        CallError::Failed(f) => match f {
            CallFailure::InvalidInput(_) => StatusCode::UNPROCESSABLE_ENTITY,
            CallFailure::UnknownTool { .. } => StatusCode::NOT_FOUND,
            CallFailure::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            CallFailure::Busy { .. } => StatusCode::TOO_MANY_REQUESTS,
            CallFailure::Cancelled(_) => StatusCode::SERVICE_UNAVAILABLE,
            CallFailure::Host(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_GATEWAY,
        },
        CallError::Unaudited(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[derive(Debug, Serialize)]
struct CallOk {
    call_id: String,
    audit_seq: Option<u64>,
    output: Value,
}

#[derive(Debug, Serialize)]
struct CallFault {
    error: CallFaultDetail,
    call_id: String,
    audit_seq: Option<u64>,
}

#[derive(Debug, Serialize)]
struct CallFaultDetail {
    layer: &'static str,
    message: String,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    approval_id: Option<String>,
}

/// A call's answer over HTTP/JSON: `200 {"call_id", "audit_seq", "output"}`
/// or the error's status with `{"error": {…}, "call_id", "audit_seq"}`.
pub(crate) fn call_answer(resp: CallResponse) -> (StatusCode, Value) {
    let body = match resp.outcome {
        Ok(out) => serde_json::to_value(CallOk {
            call_id: resp.call_id,
            audit_seq: resp.audit_seq,
            output: serde_json::from_str::<Value>(&out).unwrap_or(Value::String(out)),
        })
        .map(|v| (StatusCode::OK, v)),
        Err(e) => {
            let approval_id = match &e {
                CallError::Refused(
                    Refusal::PendingApproval { approval_id, .. }
                    | Refusal::ApprovalDenied { approval_id, .. }
                    | Refusal::ApprovalExpired { approval_id },
                ) => Some(approval_id.clone()),
                _ => None,
            };
            serde_json::to_value(CallFault {
                error: CallFaultDetail {
                    layer: layer(&e),
                    message: e.to_string(),
                    outcome: e.kind(),
                    approval_id,
                },
                call_id: resp.call_id,
                audit_seq: resp.audit_seq,
            })
            .map(|v| (error_status(&e), v))
        }
    };
    // Plain data: serialising it cannot fail.
    body.unwrap_or((StatusCode::INTERNAL_SERVER_ERROR, Value::Null))
}

/// The layer an error is reported under: the refusing layer, else
/// `sandbox` (the tool ran) or `audit`.
fn layer(e: &CallError) -> &'static str {
    match e {
        CallError::Refused(r) => r.layer(),
        CallError::Failed(_) => "sandbox",
        CallError::Unaudited(_) => "audit",
    }
}
