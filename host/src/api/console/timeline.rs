//! A task's timeline: everything the chain holds for the task — tokens,
//! calls with their decisions and policy ids, approvals with the approver,
//! capability uses, outcomes and durations — and the stop buttons pressed
//! meanwhile on its agents, tokens, plugins or the host; with the chain's
//! integrity (hashes, MACs, checkpoints) and every operator signature
//! verified, and an export as JSON or OCSF.

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::api::app::AppState;
use crate::api::console::inbox::urlenc;
use crate::api::console::layout::frame;
use crate::api::console::{page_auth, part_auth, refusal};
use crate::api::verify_api::verify_now;
use crate::audit::event::{Attribution, CallDecided, CallEnded, Event};
use crate::audit::{Checked, Record, record_summary, to_ocsf};
use crate::capability::CapabilityUse;

#[derive(Debug, Deserialize)]
pub(crate) struct TaskQuery {
    task: Option<String>,
}

/// `GET /console/tasks?task=T`: to that task's timeline.
pub(crate) async fn search(Query(q): Query<TaskQuery>) -> Response {
    match q.task.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Redirect::to(&format!("/console/tasks/{}", urlenc(t))).into_response(),
        None => Redirect::to("/console").into_response(),
    }
}

/// The task's records, and the stop buttons pressed on what it used while
/// it ran.
fn records(s: &AppState, task: &str) -> std::io::Result<Vec<Record>> {
    let mut out = s.index.records_of_task(task)?;
    let (Some(first), Some(last)) = (out.first().map(|r| r.seq), out.last().map(|r| r.seq)) else {
        return Ok(out);
    };
    let mut agents = std::collections::BTreeSet::new();
    let mut tokens = std::collections::BTreeSet::new();
    let mut plugins = std::collections::BTreeSet::new();
    for e in out.iter().filter_map(Record::event) {
        if let Some(w) = e.attribution() {
            agents.extend(w.agent.clone());
            tokens.extend(w.token_id.clone());
            plugins.extend(w.plugin.clone());
        }
        if let Event::TokenIssued(t) = &e {
            tokens.insert(t.token_id.clone());
        }
    }
    let stops = s.index.stop_records()?;
    out.extend(stops.into_iter().filter(|r| {
        r.seq > first
            && r.seq < last
            && match r.event() {
                Some(Event::HostHalted(_) | Event::HostResumed(_)) => true,
                Some(Event::AgentQuarantined(o) | Event::AgentReleased(o)) => {
                    o.agent.as_ref().is_some_and(|a| agents.contains(a))
                }
                Some(Event::TokenRevoked(o)) => {
                    o.token_id.as_ref().is_some_and(|t| tokens.contains(t))
                }
                Some(Event::PluginDisabled(o) | Event::PluginEnabled(o)) => {
                    o.plugin.as_ref().is_some_and(|p| plugins.contains(p))
                }
                _ => false,
            }
    }));
    out.sort_by_key(|r| r.seq);
    Ok(out)
}

/// `GET /console/tasks/{task}`.
pub(crate) async fn page(
    State(s): State<AppState>,
    headers: HeaderMap,
    UrlPath(task): UrlPath<String>,
) -> Response {
    let a = match page_auth(&s, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let list = match records(&s, &task) {
        Ok(l) => l,
        Err(e) => {
            return refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("the chain cannot be read: {e}"),
            );
        }
    };
    let integrity = match verify_now(&s.host).await {
        Ok(Ok(v)) => {
            let sum = &v.summary;
            html! {
                p.integrity.ok #integrity {
                    "Chain verified: " (sum.records) " records, hashes and " (sum.macs_checked) " MACs; "
                    (sum.checkpoints + sum.witness_checkpoints) " signed checkpoints (last at #" (sum.last_checkpoint) "); "
                    (v.signatures()) " operator signatures verified."
                    @if let crate::audit::Start::Mark { records, time, .. } = &v.start {
                        " Records 1–" (records) " as verified on " (time) " (the host's signed mark); "
                        (v.verified_now()) " since then now."
                    }
                    @if sum.uncovered > 0 { " " (sum.uncovered) " newest records are not yet under a checkpoint." }
                }
            }
        }
        Ok(Err(fault)) => {
            html! { p.integrity.danger #integrity { "CHAIN DOES NOT VERIFY: " (fault.to_string()) } }
        }
        Err(_) => html! { p.integrity.danger #integrity { "the chain could not be verified" } },
    };
    let config = s.host.config();
    let ops = Some(config.operators.as_slice());
    let mut book = crate::audit::RuleBook::at(&config.audit.dir);
    let items: Vec<Markup> = list.iter().map(|r| item(r, ops, &mut book)).collect();
    let enc = urlenc(&task);
    let body = html! {
        h2 { "Task " span #task { (task) } }
        (integrity)
        p.export {
            "Export: " a href={ "/console/tasks/" (enc) "/export?format=json" } { "JSON" } " · "
            a href={ "/console/tasks/" (enc) "/export?format=ocsf" } { "OCSF" } " · "
            a href={ "/console/tasks/" (enc) "/export?format=evidence" } title="verifiable offline with public keys only: warrant evidence verify" { "Evidence" }
        }
        @if list.is_empty() { p.muted { "The chain holds nothing for this task." } }
        ol.timeline #timeline {
            @for i in &items { (i) }
        }
    };
    let stops = s.host.stops().await.unwrap_or_default();
    frame(&format!("Task {task}"), &a, &stops, &body).into_response()
}

fn item(
    r: &Record,
    ops: Option<&[crate::config::Operator]>,
    book: &mut crate::audit::RuleBook,
) -> Markup {
    let when = r.time.get(..19).unwrap_or(&r.time).replace('T', " ");
    let release = r.event().and_then(|e| {
        e.release()
            .map(|x| format!("under rules release {}", x.version))
    });
    let proof = match book.check(r, ops) {
        Ok(Checked::Signed(x)) => Some(Ok(format!(
            "signed by {} with {}: signature verified",
            x.operator, x.key
        ))),
        Ok(Checked::NotOperator | Checked::Unchecked) => None,
        Ok(Checked::Legacy) => Some(Ok("unsigned (format before 3)".to_owned())),
        Err(why) => Some(Err(format!("SIGNATURE NOT VALID: {why}"))),
    };
    let class = r.kind.replace('.', "-");
    html! {
        li.event.(class) data-kind=(r.kind) {
            span.time { (when) " #" (r.seq) }
            span.kind { (r.kind) }
            div.what { (what(r)) }
            @match &proof {
                Some(Ok(p)) => p.proof.ok { (p) },
                Some(Err(p)) => p.proof.danger { (p) },
                None => {},
            }
            @if let Some(rel) = &release { p.release { (rel) } }
        }
    }
}

fn what(r: &Record) -> Markup {
    let Some(e) = r.event() else {
        return html! { "(details not readable)" };
    };
    match e {
        Event::Call(c) => html! { (decided(r, &c.decided)) br; (ended(&c.decided.who, &c.ended)) },
        Event::CallDecided(d) => decided(r, &d),
        Event::CallCompleted(c) => ended(&c.who, &c.ended),
        Event::CallInterrupted(c) => html! {
            strong { (c.who.tool.as_deref().unwrap_or("-")) } " " span.outcome { "interrupted" }
            " (" (c.decision)
            @if let Some(seq) = c.decided_seq { ", record #" (seq) }
            @if let Some(d) = &c.decided { ", decided " (d.at) }
            "): " (c.reason)
        },
        Event::ApprovalRequested(a) => html! {
            "held: approval " (a.approval_id) " requested for " (a.who.tool.as_deref().unwrap_or("-"))
            " from " (a.approvers.join(", ")) ": " (a.why)
        },
        Event::ApprovalApproved(d) | Event::ApprovalDenied(d) => html! {
            (if r.kind.ends_with("approved") { "approved" } else { "denied" }) " " (d.approval_id) " by "
            strong.approver { (d.by) } ": " (d.reason) " (" (d.approvals) " of " (d.required) ")"
        },
        Event::TokenIssued(t) => html! {
            "token " (t.token_id) " issued to " (t.agent) " by " (t.by) " until " (t.expires.as_deref().unwrap_or("-"))
        },
        Event::TokenExchanged(t) => html! {
            "token " (t.token_id) " for " (t.agent) " exchanged for credential " (t.credential.id)
            " of " (t.credential.subject) " (issuer " (t.credential.issuer) ")"
        },
        other => html! { (record_summary(&other.data())) },
    }
}

/// The console's list of the calls recorded under trace `id`, from a
/// minute before `r` (the list reads the chain back only that far).
fn trace_link(r: &Record, id: &str) -> String {
    let since = chrono::DateTime::parse_from_rfc3339(&r.time)
        .map(|t| {
            crate::api::console::calls::stamp(
                t.with_timezone(&chrono::Utc) - chrono::Duration::minutes(1),
            )
        })
        .unwrap_or_default();
    crate::api::console::calls::href("/console/calls", &[("trace", id), ("since", &since)])
}

fn uses(u: &CapabilityUse) -> String {
    u.show()
}

#[derive(Debug, Deserialize)]
pub(crate) struct ExportQuery {
    format: Option<String>,
}

/// `GET /console/tasks/{task}/export?format=json|ocsf|evidence`.
pub(crate) async fn export(
    State(s): State<AppState>,
    headers: HeaderMap,
    UrlPath(task): UrlPath<String>,
    Query(q): Query<ExportQuery>,
) -> Response {
    if let Err(r) = part_auth(&s, &headers).await {
        return r;
    }
    let list = match records(&s, &task) {
        Ok(l) => l,
        Err(e) => return refusal(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    };
    let (body, name) = match q.format.as_deref().unwrap_or("json") {
        "json" => (serde_json::to_string_pretty(&list), "json"),
        "ocsf" => (
            serde_json::to_string_pretty(&list.iter().map(to_ocsf).collect::<Vec<_>>()),
            "ocsf.json",
        ),
        // Evidence an outsider verifies with public keys only
        // (`warrant evidence verify`).
        "evidence" => {
            match crate::evidence::export(&[s.host.config().audit.dir.as_path()], &task, &[]) {
                Ok(b) => (serde_json::to_string_pretty(&b), "evidence.json"),
                Err(e) => return refusal(StatusCode::CONFLICT, &e),
            }
        }
        other => {
            return refusal(
                StatusCode::BAD_REQUEST,
                &format!("no export format {other:?}: json, ocsf or evidence"),
            );
        }
    };
    let file: String = task
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"task-{file}.{name}\""),
            ),
        ],
        body.unwrap_or_default(),
    )
        .into_response()
}

/// A call's decision.
fn decided(r: &Record, d: &CallDecided) -> Markup {
    let w = &d.who;
    let dec = &d.decision;
    html! {
        strong { (w.agent.as_deref().unwrap_or("-")) " → " (w.tool.as_deref().unwrap_or("-")) }
        " [" (w.impact.map_or("-", |i| i.as_str())) "] "
        span.decision.(dec.result.as_str()) { (dec.result.as_str()) }
        " by " (dec.layer)
        @if !dec.policies.is_empty() { ", policy " (dec.policies.join(", ")) }
        @if !dec.reason.is_empty() { ": " (dec.reason) }
        br;
        small { "token " (w.token_id.as_deref().unwrap_or("-")) "; owner " (w.agent_owner.as_deref().unwrap_or("-"))
            "; model " (w.model.as_deref().unwrap_or("-")) "; plugin " (w.plugin_version.as_deref().unwrap_or("-"))
            " signed by " (w.signer.as_deref().unwrap_or("-")) }
        @if let Some(c) = &w.claimed { br; small.claimed { "the token did not verify: it claimed task " (c.task)
            ", agent " (c.agent.as_deref().unwrap_or("-")) ", token " (c.token_id.as_deref().unwrap_or("-")) " (not believed)" } }
        @if let Some(t) = &w.trace { br; small.trace { "trace "
            a href=(trace_link(r, &t.trace_id)) { code { (t.trace_id) } }
            @if let Some(c) = &w.correlation_id { "; correlation id " code { (c) } } } }
        @if let Some(p) = &d.prompt { br; small.prompt { "prompt: " (p) } }
        @if let Some(a) = &d.approval { br; "under approval " (a.id) " by " strong.approver { (a.approver) } }
    }
}

/// How a call ended.
fn ended(who: &Attribution, c: &CallEnded) -> Markup {
    html! {
        strong { (who.tool.as_deref().unwrap_or("-")) } " " span.outcome { (c.outcome) } " after " (c.duration_ms) " ms"
        @if let Some(e) = &c.error { ": " (e) }
        @for u in &c.uses { br; small.use { (uses(u)) } }
        @if c.uses_dropped > 0 { br; small { "and " (c.uses_dropped) " more uses" } }
    }
}
