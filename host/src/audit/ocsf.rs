//! Export to OCSF (Open Cybersecurity Schema Framework) 1.3.0, class API
//! Activity (6003), one JSON event per line, for SIEM ingestion.

use chrono::DateTime;
use serde_json::{Value, json};

use crate::audit::record::Record;

/// The OCSF version the events follow.
pub const OCSF_VERSION: &str = "1.3.0";
/// API Activity.
pub const CLASS_UID: u64 = 6003;
/// Application Activity.
pub const CATEGORY_UID: u64 = 6;

/// One audit record as an OCSF API Activity event.
pub fn to_ocsf(r: &Record) -> Value {
    let d = &r.data;
    let time = DateTime::parse_from_rfc3339(&r.time)
        .map(|t| t.timestamp_millis())
        .unwrap_or(0);
    let is_call = r.kind.starts_with("call.");
    let (activity_id, activity_name) = if is_call {
        match d["impact"].as_str() {
            Some("read") => (2, "Read"),
            Some(_) => (3, "Update"),
            None => (99, "Other"),
        }
    } else {
        (99, "Other")
    };
    let failed = match r.kind.as_str() {
        "call.decided" => d["decision"]["result"]
            .as_str()
            .is_some_and(|x| x != "allow"),
        "call.completed" => d["outcome"].as_str() != Some("ok"),
        "approval.denied" | "plugin.refused" => true,
        _ => false,
    };
    let actor_name = d["agent"]
        .as_str()
        .or_else(|| d["by"].as_str())
        .unwrap_or("warrant");
    let operation = if is_call {
        d["tool"].as_str().unwrap_or(&r.kind).to_owned()
    } else {
        r.kind.clone()
    };
    let message = match r.kind.as_str() {
        "call.decided" => format!(
            "{} {} {}: {}",
            actor_name,
            d["decision"]["result"].as_str().unwrap_or("-"),
            operation,
            d["decision"]["reason"].as_str().unwrap_or("")
        ),
        "call.completed" => format!(
            "{} {} {}",
            actor_name,
            operation,
            d["outcome"].as_str().unwrap_or("-")
        ),
        k => k.to_owned(),
    };
    json!({
        "activity_id": activity_id,
        "activity_name": activity_name,
        "category_uid": CATEGORY_UID,
        "category_name": "Application Activity",
        "class_uid": CLASS_UID,
        "class_name": "API Activity",
        "type_uid": CLASS_UID * 100 + activity_id,
        "type_name": format!("API Activity: {activity_name}"),
        "severity_id": if failed { 3 } else { 1 },
        "severity": if failed { "Medium" } else { "Informational" },
        "status_id": if failed { 2 } else { 1 },
        "status": if failed { "Failure" } else { "Success" },
        "time": time,
        "message": message,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "warrant", "vendor_name": "warrant", "version": env!("CARGO_PKG_VERSION")},
            "uid": r.hash,
            "sequence": r.seq,
            "log_name": "warrant-audit",
            "event_code": r.kind,
        },
        "actor": {
            "user": {"name": actor_name, "uid": actor_name, "type": if d["agent"].is_string() { "Agent" } else { "Operator" }},
            "app_name": d["model"].as_str().unwrap_or("warrant"),
        },
        "api": {
            "operation": operation,
            "service": {"name": d["plugin"].as_str().unwrap_or("warrant"), "version": d["plugin_version"].as_str().unwrap_or(env!("CARGO_PKG_VERSION"))},
            "request": {"uid": d["call_id"].as_str().or_else(|| d["approval_id"].as_str()).or_else(|| d["token_id"].as_str()).unwrap_or(&r.hash)},
        },
        "src_endpoint": {"name": d["channel"].as_str().unwrap_or("host"), "svc_name": "warrant"},
        "resources": [{"uid": d["plugin"].as_str().unwrap_or("warrant"), "type": "wasm-plugin"}],
        "unmapped": d,
    })
}

/// The attributes an API Activity event must carry (OCSF 1.3.0 base event
/// plus the class's required attributes).
pub const REQUIRED: &[&str] = &[
    "activity_id",
    "category_uid",
    "class_uid",
    "type_uid",
    "severity_id",
    "time",
    "metadata",
    "actor",
    "api",
    "src_endpoint",
];
