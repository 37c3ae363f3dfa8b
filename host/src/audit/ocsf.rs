//! Export to OCSF (Open Cybersecurity Schema Framework) 1.3.0, class API
//! Activity (6003), one JSON event per line, for SIEM ingestion.

use chrono::DateTime;
use serde::Serialize;
use serde_json::Value;

use crate::audit::event::{DecisionResult, Event};
use crate::audit::record::Record;
use crate::vocab::Impact;

/// The OCSF version the events follow.
pub const OCSF_VERSION: &str = "1.3.0";
/// API Activity.
pub const CLASS_UID: u64 = 6003;
/// Application Activity.
pub const CATEGORY_UID: u64 = 6;

/// One OCSF API Activity event.
#[derive(Debug, Clone, Serialize)]
pub struct OcsfEvent {
    activity_id: u64,
    activity_name: &'static str,
    category_uid: u64,
    category_name: &'static str,
    class_uid: u64,
    class_name: &'static str,
    type_uid: u64,
    type_name: String,
    severity_id: u64,
    severity: &'static str,
    status_id: u64,
    status: &'static str,
    time: i64,
    message: String,
    metadata: Metadata,
    actor: Actor,
    api: Api,
    src_endpoint: Endpoint,
    resources: Vec<Resource>,
    /// The record's own data, for fields OCSF has no place for.
    unmapped: Value,
}

#[derive(Debug, Clone, Serialize)]
struct Metadata {
    version: &'static str,
    product: Product,
    uid: String,
    sequence: u64,
    log_name: &'static str,
    event_code: String,
}

#[derive(Debug, Clone, Serialize)]
struct Product {
    name: &'static str,
    vendor_name: &'static str,
    version: &'static str,
}

#[derive(Debug, Clone, Serialize)]
struct Actor {
    user: User,
    app_name: String,
}

#[derive(Debug, Clone, Serialize)]
struct User {
    name: String,
    uid: String,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Debug, Clone, Serialize)]
struct Api {
    operation: String,
    service: Service,
    request: Request,
}

#[derive(Debug, Clone, Serialize)]
struct Service {
    name: String,
    version: String,
}

#[derive(Debug, Clone, Serialize)]
struct Request {
    uid: String,
}

#[derive(Debug, Clone, Serialize)]
struct Endpoint {
    name: String,
    svc_name: &'static str,
}

#[derive(Debug, Clone, Serialize)]
struct Resource {
    uid: String,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// One audit record as an OCSF API Activity event.
pub fn to_ocsf(r: &Record) -> OcsfEvent {
    let event = r.event();
    let time = DateTime::parse_from_rfc3339(&r.time)
        .map(|t| t.timestamp_millis())
        .unwrap_or(0);
    let who = event.as_ref().and_then(Event::attribution);
    let (activity_id, activity_name) = match who.and_then(|w| w.impact) {
        Some(Impact::Read) => (2, "Read"),
        Some(_) => (3, "Update"),
        None => (99, "Other"),
    };
    let failed = match &event {
        Some(Event::CallDecided(d)) => {
            d.decision.result != DecisionResult::Allow
                && d.decision.result != DecisionResult::AllowWithApproval
        }
        Some(e @ (Event::Call(_) | Event::CallCompleted(_))) => {
            e.ended().is_some_and(|(_, c)| c.outcome != "ok")
        }
        Some(Event::ApprovalDenied(_) | Event::PluginRefused(_)) => true,
        _ => false,
    };
    let agent = event.as_ref().and_then(Event::agent).map(str::to_owned);
    let by = r.str("by").map(str::to_owned);
    let actor_name = agent.clone().or(by).unwrap_or_else(|| "warrant".into());
    let operation = match who.and_then(|w| w.tool.clone()) {
        Some(tool) if r.kind == "call" || r.kind.starts_with("call.") => tool,
        _ => r.kind.clone(),
    };
    let message = match &event {
        Some(Event::CallDecided(d)) => format!(
            "{actor_name} {} {operation}: {}",
            d.decision.result.as_str(),
            d.decision.reason
        ),
        Some(Event::Call(c)) => format!(
            "{actor_name} {} {operation}: {}{}",
            c.decided.decision.result.as_str(),
            c.ended.outcome,
            c.ended
                .error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        ),
        Some(Event::CallCompleted(c)) => format!("{actor_name} {operation} {}", c.ended.outcome),
        _ => r.kind.clone(),
    };
    let plugin = who
        .and_then(|w| w.plugin.clone())
        .unwrap_or_else(|| "warrant".into());
    let request_uid = who
        .and_then(|w| w.call_id.clone())
        .or_else(|| r.str("approval_id").map(str::to_owned))
        .or_else(|| r.str("token_id").map(str::to_owned))
        .unwrap_or_else(|| r.hash.clone());
    OcsfEvent {
        activity_id,
        activity_name,
        category_uid: CATEGORY_UID,
        category_name: "Application Activity",
        class_uid: CLASS_UID,
        class_name: "API Activity",
        type_uid: CLASS_UID * 100 + activity_id,
        type_name: format!("API Activity: {activity_name}"),
        severity_id: if failed { 3 } else { 1 },
        severity: if failed { "Medium" } else { "Informational" },
        status_id: if failed { 2 } else { 1 },
        status: if failed { "Failure" } else { "Success" },
        time,
        message,
        metadata: Metadata {
            version: OCSF_VERSION,
            product: Product {
                name: "warrant",
                vendor_name: "warrant",
                version: env!("CARGO_PKG_VERSION"),
            },
            uid: r.hash.clone(),
            sequence: r.seq,
            log_name: "warrant-audit",
            event_code: r.kind.clone(),
        },
        actor: Actor {
            user: User {
                uid: actor_name.clone(),
                name: actor_name,
                kind: if agent.is_some() { "Agent" } else { "Operator" },
            },
            app_name: who
                .and_then(|w| w.model.clone())
                .unwrap_or_else(|| "warrant".into()),
        },
        api: Api {
            operation,
            service: Service {
                name: plugin.clone(),
                version: who
                    .and_then(|w| w.plugin_version.clone())
                    .unwrap_or_else(|| env!("CARGO_PKG_VERSION").into()),
            },
            request: Request { uid: request_uid },
        },
        src_endpoint: Endpoint {
            name: who
                .and_then(|w| w.channel.clone())
                .unwrap_or_else(|| "host".into()),
            svc_name: "warrant",
        },
        resources: vec![Resource {
            uid: plugin,
            kind: "wasm-plugin",
        }],
        unmapped: r.data.clone(),
    }
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
