//! Agents, tokens and plugins: each agent with its owner, model and
//! quarantine state; the task tokens still alive, with revoke; the loaded
//! plugins with their capability review in plain words (what `warrant
//! inspect` says), their signer and digest, with disable and enable.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use crate::api::app::AppState;
use crate::api::console::inbox::urlenc;
use crate::api::console::layout::{button, frame};
use crate::api::console::{Authed, page_auth, part_auth};
use crate::audit::event::Event;
use crate::manifest::capability_review;
use crate::state::StopState;

const BACK: &str = "/console/agents";

struct LiveToken {
    id: String,
    agent: String,
    task: String,
    tools: Vec<String>,
    expires: String,
    by: String,
}

fn live_tokens(s: &AppState, stops: &StopState) -> Vec<LiveToken> {
    let now = chrono::Utc::now();
    let records = s.index.token_records().unwrap_or_default();
    let mut out: Vec<LiveToken> = records
        .iter()
        .filter_map(|r| match r.event()? {
            Event::TokenIssued(t) => Some(LiveToken {
                id: t.token_id,
                agent: t.agent,
                task: t.task,
                tools: t.tools,
                expires: t.expires.unwrap_or_default(),
                by: format!("issued by {}", t.by),
            }),
            Event::TokenExchanged(t) => Some(LiveToken {
                id: t.token_id,
                agent: t.agent,
                task: t.task,
                tools: t.tools,
                expires: t.expires.unwrap_or_default(),
                by: format!("exchanged for a credential of {}", t.iss),
            }),
            _ => None,
        })
        .filter(|t| {
            !stops.tokens.contains_key(&t.id)
                && chrono::DateTime::parse_from_rfc3339(&t.expires).is_ok_and(|e| e > now)
        })
        .collect();
    out.reverse();
    out
}

fn body(s: &AppState, a: &Authed, stops: &StopState) -> Markup {
    let config = s.host.config();
    let loaded = s.host.loaded();
    let tokens = live_tokens(s, stops);
    html! {
        section #agents {
            h2 { "Agents" }
            table {
                thead { tr { th { "Agent" } th { "Owner" } th { "Model (owner)" } th { "Tools" } th { "State" } th {} } }
                tbody {
                    @for g in &config.agents {
                        tr id={ "agent-" (g.id) } {
                            td { (g.id) } td { (g.owner) } td { (g.model) " (" (g.model_owner) ")" }
                            td { (g.tools.join(", ")) }
                            @if let Some(q) = stops.agents.get(&g.id) {
                                td.danger { "quarantined by " (q.by) ": " (q.reason) }
                                td { (button(a, &format!("/console/actions/release/{}", urlenc(&g.id)), "Release", &format!("Release {}?", g.id), BACK)) }
                            } @else {
                                td { "active" }
                                td { (button(a, &format!("/console/actions/quarantine/{}", urlenc(&g.id)), "Quarantine", &format!("Quarantine {}: its calls are refused and those in flight cancelled?", g.id), BACK)) }
                            }
                        }
                    }
                }
            }
        }
        section #tokens {
            h2 { "Live task tokens" }
            @if tokens.is_empty() { p.muted { "No live task token." } }
            table {
                @for t in &tokens {
                    tr id={ "token-" (t.id) } {
                        td { code { (t.id) } } td { (t.agent) } td { "task " (t.task) }
                        td { (if t.tools.is_empty() { "whole grant".to_owned() } else { t.tools.join(", ") }) }
                        td { "until " (t.expires) ", " (t.by) }
                        td { (button(a, &format!("/console/actions/revoke/{}", urlenc(&t.id)), "Revoke", &format!("Revoke {}: its calls are refused and cancelled?", t.id), BACK)) }
                    }
                }
            }
        }
        section #plugins {
            h2 { "Plugins" }
            @for p in loaded.registry.plugins() {
                article.card id={ "plugin-" (p.id()) } {
                    header {
                        strong { (p.id()) } " " (p.manifest.manifest().plugin.version)
                        @if let Some(d) = stops.plugins.get(p.id()) {
                            span.badge.danger { "disabled by " (d.by) ": " (d.reason) }
                        }
                    }
                    p { "Signed by " (p.manifest.signer().unwrap_or("nobody (insecure load)"))
                        "; component " code { (p.manifest.component_digest()) } }
                    details { summary { "What it may do" } pre.review { (capability_review(p.manifest.manifest())) } }
                    @if stops.plugins.contains_key(p.id()) {
                        (button(a, &format!("/console/actions/enable/{}", urlenc(p.id())), "Enable", &format!("Enable {}?", p.id()), BACK))
                    } @else {
                        (button(a, &format!("/console/actions/disable/{}", urlenc(p.id())), "Disable", &format!("Disable {}: its calls are refused and cancelled?", p.id()), BACK))
                    }
                }
            }
        }
    }
}

/// `GET /console/agents`.
pub(crate) async fn page_of(s: &AppState, headers: &HeaderMap) -> Response {
    let a = match page_auth(s, headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let stops = s.host.stops().await.unwrap_or_default();
    let b = html! { div data-live="/console/fragment/agents" { (body(s, &a, &stops)) } };
    frame("Agents, tokens, plugins", &a, &stops, &b).into_response()
}

pub(crate) async fn page(State(s): State<AppState>, headers: HeaderMap) -> Response {
    page_of(&s, &headers).await
}

/// `GET /console/fragment/agents`.
pub(crate) async fn fragment(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let a = match part_auth(&s, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let stops = s.host.stops().await.unwrap_or_default();
    axum::response::Html(body(&s, &a, &stops).into_string()).into_response()
}
