//! The lists behind the overview's charts: calls by decision, layer, agent,
//! tool and time (`/console/calls`), and stop buttons pressed
//! (`/console/stops`). Each reads the chain backwards from its end to the
//! start of the time asked for, at most [`READ_BACK`] bytes and
//! [`LIMIT`] rows — never the whole chain — and links each call to its
//! task's timeline.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use maud::{Markup, html};
use serde::Deserialize;

use crate::api::app::AppState;
use crate::api::console::inbox::urlenc;
use crate::api::console::layout::frame;
use crate::api::console::{Authed, page_auth, refusal};
use crate::audit::event::{CallDecided, Event};
use crate::audit::tally::{READ_BACK, stop_action};
use crate::audit::{Recent, Record, read_recent};

/// The most rows a list shows (the newest).
pub(crate) const LIMIT: usize = 500;

/// What a list is filtered by (every field optional).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ListQuery {
    /// `allow`, `allow-with-approval`, `held` or `deny`.
    decision: Option<String>,
    /// The layer that decided.
    layer: Option<String>,
    agent: Option<String>,
    /// `plugin.tool`.
    tool: Option<String>,
    /// A stop button: `halt`, `quarantine`, `revoke`, `disable`, …
    action: Option<String>,
    /// A W3C trace id: the calls recorded under that trace.
    trace: Option<String>,
    /// RFC 3339; default the start of `window`.
    since: Option<String>,
    /// RFC 3339, excluded; default none.
    until: Option<String>,
    /// `hour` (default) or `day`, when `since` is not given.
    window: Option<String>,
}

/// An RFC 3339 time for a link.
pub(crate) fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A console path with a query of the non-empty `pairs`.
pub(crate) fn href(path: &str, pairs: &[(&str, &str)]) -> String {
    let pairs: Vec<(&str, &str)> = pairs.iter().filter(|p| !p.1.is_empty()).copied().collect();
    match serde_urlencoded::to_string(&pairs) {
        Ok(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_owned(),
    }
}

fn time_of(r: &Record) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&r.time)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl ListQuery {
    /// The times asked for, or why they cannot be read.
    fn span(&self) -> Result<(DateTime<Utc>, Option<DateTime<Utc>>), String> {
        let parse = |name: &str, v: &str| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| format!("{name} {v:?} is not an RFC 3339 time: {e}"))
        };
        let since = match self.since.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => parse("since", v)?,
            None if self.window.as_deref() == Some("day") => Utc::now() - Duration::days(1),
            None => Utc::now() - Duration::hours(1),
        };
        let until = match self.until.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => Some(parse("until", v)?),
            None => None,
        };
        Ok((since, until))
    }

    fn call_matches(&self, d: &CallDecided) -> bool {
        let is = |want: &Option<String>, have: Option<&str>| {
            want.as_deref()
                .filter(|w| !w.is_empty())
                .is_none_or(|w| have == Some(w))
        };
        is(&self.decision, Some(d.decision.result.as_str()))
            && is(&self.layer, Some(&d.decision.layer))
            && is(&self.agent, d.who.agent.as_deref())
            && is(&self.tool, d.who.tool.as_deref())
            && is(
                &self.trace,
                d.who.trace.as_ref().map(|t| t.trace_id.as_str()),
            )
    }

    /// What is asked for, in words.
    fn words(&self, since: DateTime<Utc>, until: Option<DateTime<Utc>>) -> String {
        let mut w: Vec<String> = Vec::new();
        for (name, v) in [
            ("decision", &self.decision),
            ("layer", &self.layer),
            ("agent", &self.agent),
            ("tool", &self.tool),
            ("action", &self.action),
            ("trace", &self.trace),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                w.push(format!("{name} {v}"));
            }
        }
        w.push(format!("since {}", since.format("%Y-%m-%d %H:%M UTC")));
        if let Some(u) = until {
            w.push(format!("until {}", u.format("%Y-%m-%d %H:%M UTC")));
        }
        w.join(", ")
    }
}

/// Read back the records from `since` (before `until`) that `keep`
/// accepts, off the async threads.
async fn recent(
    s: &AppState,
    since: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    keep: impl Fn(&Record) -> bool + Send + 'static,
) -> Result<Recent, Response> {
    let log = s.host.audit().paths().log.clone();
    let read = tokio::task::spawn_blocking(move || {
        read_recent(&log, since, READ_BACK, LIMIT, |r| {
            until.is_none_or(|u| time_of(r).is_some_and(|t| t < u)) && keep(r)
        })
    })
    .await;
    match read {
        Ok(Ok(found)) => Ok(found),
        Ok(Err(e)) => Err(refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("the chain cannot be read: {e}"),
        )),
        Err(e) => Err(refusal(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())),
    }
}

fn bound_note(found: &Recent) -> Markup {
    html! {
        @if !found.complete {
            p.muted.note { "Showing the newest " (found.records.len()) " found in the last "
                (found.bytes_read / 1024) " KiB of the chain read back (at most " (LIMIT) " rows, "
                (READ_BACK / crate::vocab::MIB) " MiB); "
                code { "warrant audit show" } " reads all of it." }
        }
    }
}

/// The operator's session and the times a list asks for, or the answer
/// refusing them (the login page; a 400 naming a time that does not read).
async fn session_and_span(
    s: &AppState,
    headers: &HeaderMap,
    q: &ListQuery,
) -> Result<(Authed, DateTime<Utc>, Option<DateTime<Utc>>), Response> {
    let a = page_auth(s, headers).await?;
    let (since, until) = q
        .span()
        .map_err(|why| refusal(StatusCode::BAD_REQUEST, &why))?;
    Ok((a, since, until))
}

/// `GET /console/calls`: the calls that match, newest first.
pub(crate) async fn calls(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let (a, since, until) = match session_and_span(&s, &headers, &q).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let f = q.clone();
    let keep = move |r: &Record| {
        crate::audit::event::is_decision_kind(&r.kind)
            && serde_json::from_value::<CallDecided>(r.data.clone())
                .is_ok_and(|d| f.call_matches(&d))
    };
    let found = match recent(&s, since, until, keep).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let body = html! {
        h2 { "Calls" }
        p #calls-filter { (q.words(since, until)) }
        p { strong #calls-count { (found.records.len()) } " calls, newest first. "
            a href="/console/overview" { "Back to the overview" } }
        (bound_note(&found))
        table #calls {
            thead { tr { th { "Time" } th { "Agent" } th { "Tool" } th { "Decision" } th { "Layer" } th { "Why" } th { "Task" } } }
            tbody { @for r in &found.records { (call_row(r)) } }
        }
    };
    let stops = s.host.stops().await.unwrap_or_default();
    frame("Calls", &a, &stops, &body).into_response()
}

fn when(r: &Record) -> String {
    r.time.get(..19).unwrap_or(&r.time).replace('T', " ")
}

fn call_row(r: &Record) -> Markup {
    let Some(event) = r.event() else {
        return html! {};
    };
    let Some(d) = event.decided() else {
        return html! {};
    };
    let w = &d.who;
    let task = r.event().and_then(|e| e.task().map(str::to_owned));
    let result = d.decision.result.as_str();
    html! {
        tr.call data-call=[w.call_id.as_deref()] data-decision=(result) data-layer=(d.decision.layer) {
            td.time { (when(r)) }
            td.agent { (w.agent.as_deref().unwrap_or("-")) }
            td.tool { (w.tool.as_deref().unwrap_or("-")) }
            td { span.decision.(result) { (result) } }
            td.layer { (d.decision.layer) }
            td {
                @if !d.decision.policies.is_empty() { "policy " (d.decision.policies.join(", ")) ": " }
                (d.decision.reason)
            }
            td { @match &task {
                Some(t) => a.task href={ "/console/tasks/" (urlenc(t)) } { (t) },
                None => "-",
            } }
        }
    }
}

/// `GET /console/stops`: the stop buttons (and releases) pressed, newest
/// first.
pub(crate) async fn stops(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let (a, since, until) = match session_and_span(&s, &headers, &q).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let want = q.action.clone().filter(|w| !w.is_empty());
    let keep = move |r: &Record| {
        crate::audit::is_operator_kind(&r.kind)
            && r.event().is_some_and(|e| {
                stop_action(&e).is_some_and(|x| want.as_deref().is_none_or(|w| w == x))
            })
    };
    let found = match recent(&s, since, until, keep).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let body = html! {
        h2 { "Stop buttons" }
        p #stops-filter { (q.words(since, until)) }
        p { strong #stops-count { (found.records.len()) } " pressed, newest first. "
            a href="/console/overview" { "Back to the overview" } }
        (bound_note(&found))
        table #stops {
            thead { tr { th { "Time" } th { "Action" } th { "On" } th { "By" } th { "Reason" } } }
            tbody { @for r in &found.records { (stop_row(r)) } }
        }
    };
    let stops = s.host.stops().await.unwrap_or_default();
    frame("Stop buttons", &a, &stops, &body).into_response()
}

fn stop_row(r: &Record) -> Markup {
    let Some(e) = r.event() else {
        return html! {};
    };
    let action = stop_action(&e).unwrap_or("-");
    let (Event::HostHalted(o)
    | Event::HostResumed(o)
    | Event::AgentQuarantined(o)
    | Event::AgentReleased(o)
    | Event::TokenRevoked(o)
    | Event::PluginDisabled(o)
    | Event::PluginEnabled(o)) = &e
    else {
        return html! {};
    };
    let on = o
        .agent
        .as_deref()
        .map(|a| format!("agent {a}"))
        .or_else(|| o.plugin.as_deref().map(|p| format!("plugin {p}")))
        .or_else(|| o.token_id.as_deref().map(|t| format!("token {t}")))
        .unwrap_or_else(|| "the host".to_owned());
    html! {
        tr.stop data-action=(action) {
            td.time { (when(r)) }
            td { strong { (action) } @if !o.changed { " (no change)" } }
            td { (on) }
            td.by { (o.by) }
            td { (o.reason) }
        }
    }
}
