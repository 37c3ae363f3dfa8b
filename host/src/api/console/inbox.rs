//! The approvals inbox: open requests newest first, each with everything
//! an approver needs on one screen — who asked (agent, owner, model), for
//! which task, which tool at which impact and whose action it is, the exact
//! arguments, the policy that held it, what the agent said it was doing,
//! age and expiry, and approvers still needed — and the requests decided
//! lately with what came of them. Every value from outside is rendered as
//! text (maud escapes it).

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};
use serde_json::Value;

use crate::api::app::AppState;
use crate::api::console::layout::{frame, when};
use crate::api::console::{Authed, page_auth, part_auth, refusal};
use crate::audit::event::{ApprovalRequested, CallDecided, CallEnded, Event};
use crate::state::{Approval, ApprovalStatus, now_ms};

/// What the chain says about a held call.
#[derive(Default)]
struct Held {
    requested: Option<ApprovalRequested>,
    decided: Option<CallDecided>,
    completed: Option<CallEnded>,
}

fn held(s: &AppState, a: &Approval) -> Held {
    let mut out = Held::default();
    let Ok(records) = s.index.records_of_approval(&a.id) else {
        return out;
    };
    for r in &records {
        match r.event() {
            Some(Event::ApprovalRequested(a)) => out.requested = Some(*a),
            Some(e) if out.decided.is_none() && e.decided().is_some() => {
                out.decided = e.decided().cloned();
            }
            _ => {}
        }
    }
    let call = out.requested.as_ref().and_then(|a| a.who.call_id.clone());
    if let Some(call) = call.or_else(|| out.decided.as_ref().and_then(|d| d.who.call_id.clone()))
        && let Ok(rs) = s.index.records_of(&call)
    {
        out.completed = rs
            .iter()
            .rev()
            .find_map(|r| r.event().and_then(|e| e.ended().map(|(_, c)| c.clone())));
    }
    out
}

async fn cards(s: &AppState, a: &Authed) -> Markup {
    let (open, all) = match (
        s.host.operator().approvals(false).await,
        s.host.operator().approvals(true).await,
    ) {
        (Ok(o), Ok(l)) => (o, l),
        (Err(e), _) | (_, Err(e)) => {
            return html! { p.error { "approvals unreadable: " (e.to_string()) } };
        }
    };
    let now = now_ms();
    let mut open: Vec<Approval> = open.into_iter().filter(|x| !x.expired(now)).collect();
    open.sort_by_key(|x| std::cmp::Reverse(x.requested_at));
    let mut done: Vec<Approval> = all
        .into_iter()
        .filter(|x| x.status != ApprovalStatus::Pending || x.expired(now))
        .collect();
    done.sort_by_key(|x| std::cmp::Reverse(x.decided_at.unwrap_or(x.expires_at)));
    done.truncate(10);
    html! {
        h2 { "Open requests " span.count #open-count { (open.len()) } }
        @if open.is_empty() { p.muted #inbox-empty { "No call is waiting for approval." } }
        @for x in &open { (card(s, a, x, now)) }
        h2 { "Decided lately" }
        @if done.is_empty() { p.muted { "Nothing decided yet." } }
        @for x in &done { (card(s, a, x, now)) }
    }
}

fn card(s: &AppState, a: &Authed, x: &Approval, now: i64) -> Markup {
    let config = s.host.config();
    let h = held(s, x);
    let b = &x.binding;
    let agent = config.agent(&b.agent);
    let who = h
        .requested
        .as_ref()
        .map(|r| &r.who)
        .or(h.decided.as_ref().map(|d| &d.who));
    let policies = h
        .requested
        .as_ref()
        .map(|r| r.policies.clone())
        .unwrap_or_default();
    let prompt = h
        .requested
        .as_ref()
        .and_then(|r| r.prompt.clone())
        .or_else(|| h.decided.as_ref().and_then(|d| d.prompt.clone()));
    let context = h
        .requested
        .as_ref()
        .and_then(|r| r.context.clone())
        .or_else(|| h.decided.as_ref().and_then(|d| d.context.clone()));
    let parsed: Option<Value> = serde_json::from_str(&x.summary).ok();
    let args = h
        .decided
        .as_ref()
        .and_then(|d| d.args.as_ref())
        .or(parsed.as_ref());
    let impact = x.impact.parse().unwrap_or(crate::vocab::Impact::High);
    let mut approvers = config.approvers(&b.tool, impact);
    approvers.retain(|o| *o != b.agent);
    let op = config.operator(&a.session.operator);
    let may = op.is_some_and(|o| !o.automation && o.may_approve(&b.tool, &x.impact));
    let pending = x.status == ApprovalStatus::Pending && !x.expired(now);
    let status = x.shown_status(now);
    html! {
        article.card.(status) id={ "approval-" (x.id) } data-approval=(x.id) {
            header {
                span.badge.(x.impact) { (x.impact) }
                strong.tool { (b.tool) }
                " for task " a.task href={ "/console/tasks/" (urlenc(&b.task)) } { (b.task) }
                span.status { (status) }
            }
            dl {
                dt { "Agent" } dd.agent {
                    (b.agent)
                    @if let Some(g) = agent { " — owner " (g.owner) ", model " (g.model) " (owner " (g.model_owner) ")" }
                }
                @if let Some(o) = who.and_then(|w| w.action_owner.as_deref()) { dt { "Action owner" } dd { (o) } }
                dt { "Plugin" } dd { (b.plugin_version) " — component " code { (short(&b.component_digest)) }
                    @if let Some(sg) = who.and_then(|w| w.signer.as_deref()) { " signed by " (sg) } }
                dt { "Held by" } dd.policy {
                    @if !policies.is_empty() { "policy " strong { (policies.join(", ")) } ": " }
                    (x.why)
                }
                dt { "Arguments" } dd.args { (arguments(args, &x.summary)) }
                @if let Some(p) = &prompt {
                    dt { "Agent's prompt" } dd.prompt { (fold(p)) }
                }
                @if let Some(c) = &context {
                    dt { "Agent's context" } dd.context { (fold(c)) }
                }
                dt { "Asked" } dd { (when(x.requested_at)) " (" (age(now - x.requested_at)) " ago); expires " (when(x.expires_at)) }
                dt { "Approvals" } dd.votes {
                    (x.votes.len()) " of " (x.required)
                    @if !x.votes.is_empty() { " (" (x.votes.join(", ")) ")" }
                    " — approvers: " @if approvers.is_empty() { "none configured" } @else { (approvers.join(", ")) }
                }
                @if let Some(by) = &x.decided_by {
                    dt { "Decided" } dd.decided { (status) " by " (by) @if let Some(r) = &x.decision_reason { ": " (r) } }
                }
                @if let Some(c) = &h.completed {
                    dt { "Outcome" } dd.outcome { (c.outcome) " in " (c.duration_ms) " ms" @if let Some(e) = &c.error { " — " (e) } }
                }
            }
            @if pending {
                @if may {
                    form.decide method="post" action={ "/console/approvals/" (x.id) "/decide" } {
                        input type="hidden" name="csrf" value=(a.csrf);
                        input type="hidden" name="binding" value=(b.digest());
                        input type="text" name="reason" required placeholder="reason (recorded)" aria-label="reason";
                        button.approve type="submit" name="decision" value="approve" { "Approve" }
                        button.deny type="submit" name="decision" value="deny" { "Deny" }
                    }
                } @else {
                    p.muted.not-approver { "You (" (a.session.operator) ") may not decide this request." }
                }
            }
        }
    }
}

/// The arguments as policy saw them: each top-level field on its own line,
/// long values folded.
fn arguments(args: Option<&Value>, summary: &str) -> Markup {
    match args {
        Some(Value::Object(m)) => html! {
            dl.fields { @for (k, v) in m { dt { (k) } dd { (value(v)) } } }
        },
        Some(v) => value(v),
        None => fold(summary),
    }
}

fn value(v: &Value) -> Markup {
    match v {
        Value::String(t) => fold(t),
        other => fold(&serde_json::to_string_pretty(other).unwrap_or_default()),
    }
}

/// Text, folded behind its first line when long.
fn fold(t: &str) -> Markup {
    if t.chars().count() <= 240 {
        return html! { pre.value { (t) } };
    }
    let head: String = t.chars().take(120).collect();
    html! { details.value { summary { pre.value { (head) "…" } } pre.value { (t) } } }
}

fn short(d: &str) -> &str {
    d.get(..19).unwrap_or(d)
}

fn age(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    if s < 120 {
        format!("{s} s")
    } else {
        format!("{} min", s / 60)
    }
}

/// Percent-encode a path segment.
pub(crate) fn urlenc(t: &str) -> String {
    t.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /console`: the inbox.
pub(crate) async fn page_handler(s: &AppState, headers: &HeaderMap) -> Response {
    let a = match page_auth(s, headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let stops = s.host.stops().await.unwrap_or_default();
    let body =
        html! { section #inbox data-live="/console/fragment/inbox" { (cards(s, &a).await) } };
    frame("Approvals", &a, &stops, &body).into_response()
}

pub(crate) async fn page(State(s): State<AppState>, headers: HeaderMap) -> Response {
    page_handler(&s, &headers).await
}

/// `GET /console/fragment/inbox`: the inbox's content, for live updates.
pub(crate) async fn fragment(State(s): State<AppState>, headers: HeaderMap) -> Response {
    match part_auth(&s, &headers).await {
        Ok(a) => Html(cards(&s, &a).await.into_string()).into_response(),
        Err(r) => r,
    }
}

/// `GET /console/approvals/{id}`: one request (the webhook's link).
pub(crate) async fn one(
    State(s): State<AppState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let a = match page_auth(&s, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let x = match s.host.operator().approval(&id).await {
        Ok(x) => x,
        Err(e) => return refusal(StatusCode::NOT_FOUND, &e.to_string()),
    };
    let stops = s.host.stops().await.unwrap_or_default();
    let body = card(&s, &a, &x, now_ms());
    frame("Approval request", &a, &stops, &body).into_response()
}
