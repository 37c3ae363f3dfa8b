//! Reading the chain back: filtering records and telling the story of a
//! task as a timeline.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::audit::record::Record;

/// Which records to show.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this task.
    pub task: Option<String>,
    /// Only this agent.
    pub agent: Option<String>,
    /// Only at or after this time.
    pub since: Option<DateTime<Utc>>,
}

impl Filter {
    /// Whether a record passes.
    pub fn matches(&self, r: &Record) -> bool {
        if let Some(t) = &self.task
            && r.str("task") != Some(t)
        {
            return false;
        }
        if let Some(a) = &self.agent
            && r.str("agent") != Some(a)
        {
            return false;
        }
        if let Some(s) = &self.since {
            match DateTime::parse_from_rfc3339(&r.time) {
                Ok(t) if t.with_timezone(&Utc) >= *s => {}
                _ => return false,
            }
        }
        true
    }
}

/// Read every record that passes `filter` (unreadable lines are skipped;
/// `audit verify` is what reports them).
///
/// # Errors
///
/// When the log cannot be opened.
pub fn read_records(log: &Path, filter: &Filter) -> std::io::Result<Vec<Record>> {
    let f = std::fs::File::open(log)?;
    Ok(BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str::<Record>(&l).ok())
        .filter(|r| filter.matches(r))
        .collect())
}

/// Make text from the chain safe for a terminal: control characters and
/// escape sequences are shown escaped.
pub fn safe(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

fn s<'a>(r: &'a Record, k: &str) -> &'a str {
    r.str(k).unwrap_or("-")
}

/// A readable timeline: prompt → decision (policy ids) → approval (who) →
/// capability uses → outcome.
pub fn timeline(records: &[Record]) -> String {
    let mut out = String::new();
    for r in records {
        let when = r.time.get(..19).unwrap_or(&r.time).replace('T', " ");
        let d = &r.data;
        let _ = match r.kind.as_str() {
            "call.decided" => {
                let dec = &d["decision"];
                let _ = writeln!(
                    out,
                    "{when}  #{:<5} CALL      {} → {} [{}]  task {}  token {}",
                    r.seq,
                    s(r, "agent"),
                    s(r, "tool"),
                    s(r, "impact"),
                    s(r, "task"),
                    s(r, "token_id")
                );
                let _ = writeln!(
                    out,
                    "{:28}agent owner {}, model {} (owner {}); plugin {} {} {} signed by {}; action owner {}",
                    "",
                    s(r, "agent_owner"),
                    s(r, "model"),
                    s(r, "model_owner"),
                    s(r, "plugin"),
                    s(r, "plugin_version"),
                    s(r, "component_digest").get(..19).unwrap_or("-"),
                    s(r, "signer"),
                    s(r, "action_owner")
                );
                if let Some(p) = d["prompt"].as_str().filter(|p| !p.is_empty()) {
                    let _ = writeln!(out, "{:28}prompt: {}", "", safe(p));
                }
                let pol = dec["policies"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{:28}decision: {} (layer {}{}) {}",
                    "",
                    dec["result"].as_str().unwrap_or("-"),
                    dec["layer"].as_str().unwrap_or("-"),
                    if pol.is_empty() {
                        String::new()
                    } else {
                        format!("; policy {pol}")
                    },
                    safe(dec["reason"].as_str().unwrap_or(""))
                );
                if let Some(a) = d["approval"].as_object() {
                    let _ = writeln!(
                        out,
                        "{:28}approval {} by {}{}",
                        "",
                        a.get("id").and_then(Value::as_str).unwrap_or("-"),
                        a.get("approver").and_then(Value::as_str).unwrap_or("-"),
                        a.get("reason")
                            .and_then(Value::as_str)
                            .map(|x| format!(" ({})", safe(x)))
                            .unwrap_or_default()
                    );
                }
                Ok(())
            }
            "call.completed" => {
                let _ = writeln!(
                    out,
                    "{when}  #{:<5} OUTCOME   {} {} after {} ms; input {} B, output {} B{}",
                    r.seq,
                    s(r, "tool"),
                    s(r, "outcome"),
                    d["duration_ms"].as_u64().unwrap_or(0),
                    d["input_size"].as_u64().unwrap_or(0),
                    d["output_size"].as_u64().unwrap_or(0),
                    d["error"]
                        .as_str()
                        .map(|e| format!(": {}", safe(e)))
                        .unwrap_or_default()
                );
                for u in d["uses"].as_array().into_iter().flatten() {
                    let _ = match u["kind"].as_str() {
                        Some("http") => writeln!(
                            out,
                            "{:28}uses http: {} {}{} → {}{}",
                            "",
                            u["method"].as_str().unwrap_or("-"),
                            u["origin"].as_str().unwrap_or("-"),
                            safe(u["path"].as_str().unwrap_or("")),
                            u["status"]
                                .as_u64()
                                .map_or("no response".into(), |c| c.to_string()),
                            u["refused"]
                                .as_str()
                                .map(|x| format!(" REFUSED: {}", safe(x)))
                                .unwrap_or_default()
                        ),
                        Some("secret") => writeln!(
                            out,
                            "{:28}uses secret {} ({})",
                            "",
                            u["name"].as_str().unwrap_or("-"),
                            if u["granted"].as_bool() == Some(true) {
                                "delivered"
                            } else {
                                "refused"
                            }
                        ),
                        _ => Ok(()),
                    };
                }
                Ok(())
            }
            "approval.requested" => writeln!(
                out,
                "{when}  #{:<5} HELD      approval {} requested for {} — approvers: {}; {}",
                r.seq,
                s(r, "approval_id"),
                s(r, "tool"),
                d["approvers"]
                    .as_array()
                    .map(|a| a
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default(),
                safe(s(r, "why"))
            ),
            "approval.approved" | "approval.denied" => writeln!(
                out,
                "{when}  #{:<5} {:<9} approval {} by {}{}",
                r.seq,
                if r.kind.ends_with("approved") {
                    "APPROVED"
                } else {
                    "DENIED"
                },
                s(r, "approval_id"),
                s(r, "by"),
                d["reason"]
                    .as_str()
                    .filter(|x| !x.is_empty())
                    .map(|x| format!(" ({})", safe(x)))
                    .unwrap_or_default()
            ),
            "token.issued" => writeln!(
                out,
                "{when}  #{:<5} TOKEN     {} issued to {} for task {} (tools {}; until {})",
                r.seq,
                s(r, "token_id"),
                s(r, "agent"),
                s(r, "task"),
                d["tools"]
                    .as_array()
                    .map(|a| a
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default(),
                s(r, "expires")
            ),
            other => writeln!(
                out,
                "{when}  #{:<5} {:<9} {}",
                r.seq,
                other.to_uppercase(),
                safe(&summary(d))
            ),
        };
    }
    out
}

fn summary(d: &Value) -> String {
    d.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    format!(
                        "{k}={}",
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}
