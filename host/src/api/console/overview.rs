//! The overview (`/console/overview?window=hour|day`): the last hour or
//! day at a glance — calls by decision over time, refusals by layer, the
//! busiest agents and tools, approvals waiting and their age, stop buttons
//! pressed — as charts drawn on the server (`charts`), each bar a link to
//! the list behind it (`calls`). The numbers come from the server's
//! [`Tally`](crate::audit::Tally) of the chain (refreshed on each view:
//! it reads what was appended since), the approvals from the shared state.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Timelike, Utc};
use maud::{Markup, html};
use serde::Deserialize;

use crate::api::console::calls::{href, stamp};
use crate::api::console::charts::{Column, DECISIONS, Row, bars, columns, legend, stacked_words};
use crate::api::console::layout::frame;
use crate::api::console::page_auth;
use crate::audit::tally::{OTHER, Overview, READ_BACK, Split, UNVERIFIED, WINDOW_MINUTES};
use crate::state::{Approval, now_ms};

/// The agents and tools shown.
const TOP: usize = 8;

/// The approvals shown.
const WAITING: usize = 10;

#[derive(Debug, Deserialize)]
pub(crate) struct OverviewQuery {
    window: Option<String>,
}

/// The window shown: its name, minutes, minutes per bar, words.
fn window(name: Option<&str>) -> (&'static str, i64, i64, &'static str) {
    match name {
        Some("day") => ("day", WINDOW_MINUTES, 15, "the last 24 hours"),
        _ => ("hour", 60, 1, "the last hour"),
    }
}

fn counts(s: &Split) -> [u64; 4] {
    [s.allowed, s.approved, s.held, s.refused]
}

/// The chain names of [`DECISIONS`], in order.
const RESULTS: [&str; 4] = ["allow", "allow-with-approval", "held", "deny"];

/// `GET /console/overview`.
pub(crate) async fn page(
    State(s): State<crate::api::app::AppState>,
    headers: HeaderMap,
    Query(q): Query<OverviewQuery>,
) -> Response {
    let a = match page_auth(&s, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (name, minutes, bin, words) = window(q.window.as_deref());
    let tally = Arc::clone(&s.tally);
    let read = match tokio::task::spawn_blocking(move || tally.refresh()).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(format!("the chain cannot be read: {e}")),
        Err(e) => Some(e.to_string()),
    };
    let now = Utc::now();
    let o = s.tally.overview(now, minutes, bin, TOP);
    let waiting = match s.host.operator().approvals(false).await {
        Ok(list) => Ok(list.into_iter().filter(|x| !x.expired(now_ms())).collect()),
        Err(e) => Err(e.to_string()),
    };
    let (since, until) = (stamp(o.since), stamp(o.until));
    let span = [("since", since.as_str()), ("until", until.as_str())];
    let body = html! {
        div.overview-head {
            h2 { "Overview: " (words) }
            nav.windows aria-label="window" {
                @for (n, label) in [("hour", "Last hour"), ("day", "Last 24 hours")] {
                    @if n == name { strong aria-current="page" { (label) } }
                    @else { a href={ "/console/overview?window=" (n) } { (label) } }
                }
            }
        }
        @if let Some(e) = &read { p.error { (e) } }
        @if let Some(from) = o.covered_from {
            p.note.danger { "The chain was read back only to " (from.format("%Y-%m-%d %H:%M UTC"))
                " (the " (READ_BACK / crate::vocab::MIB) " MiB read-back cap): calls before then are not counted." }
        }
        (calls_section(&o, &span, words))
        div.grid {
            section #refusals {
                h3 { "Refusals by layer" }
                (refusals(&o, &span, words))
            }
            section #approvals {
                h3 { "Approvals waiting now" }
                (approvals(waiting, now_ms()))
            }
            section #agents {
                h3 { "Busiest agents" }
                (busiest(&o.agents, "agent", &span, words))
            }
            section #tools {
                h3 { "Busiest tools" }
                (busiest(&o.tools, "tool", &span, words))
            }
            section #stops {
                h3 { "Stop buttons pressed" }
                (stop_buttons(&o, &span, words))
            }
        }
        p.muted.note {
            "Counted from the audit chain by this server's tally, as of " (now.format("%H:%M:%S UTC"))
            ": calls by their decision record, stop buttons by their record. The tally keeps the last 24 hours "
            "in memory and reads only what was appended since it last looked (when the server started, it read back at most "
            (READ_BACK / crate::vocab::MIB) " MiB from the end of the chain). Times are UTC. Approvals waiting come from the shared state."
        }
    };
    let stops = s.host.stops().await.unwrap_or_default();
    frame("Overview", &a, &stops, &body).into_response()
}

fn bin_words(start: DateTime<Utc>, bin: i64) -> String {
    if bin == 1 {
        start.format("%H:%M UTC").to_string()
    } else {
        let end = start + chrono::Duration::minutes(bin);
        format!("{}–{} UTC", start.format("%H:%M"), end.format("%H:%M"))
    }
}

fn calls_section(o: &Overview, span: &[(&str, &str); 2], words: &str) -> Markup {
    let cols: Vec<Column> = o
        .bins
        .iter()
        .map(|(start, split)| {
            let tick = if o.bin_minutes == 1 {
                start.minute() % 10 == 0
            } else {
                start.minute() == 0 && start.hour() % 4 == 0
            };
            let end = *start + chrono::Duration::minutes(o.bin_minutes);
            Column {
                tick: tick.then(|| start.format("%H:%M").to_string()),
                label: bin_words(*start, o.bin_minutes),
                counts: counts(split),
                href: href(
                    "/console/calls",
                    &[("since", &stamp(*start)), ("until", &stamp(end))],
                ),
            }
        })
        .collect();
    let per = if o.bin_minutes == 1 {
        "minute".to_owned()
    } else {
        format!("{} minutes", o.bin_minutes)
    };
    let hrefs = RESULTS.map(|d| href("/console/calls", &[("decision", d), span[0], span[1]]));
    let total = counts(&o.calls);
    html! {
        section #calls-chart {
            h3 { "Calls per " (per) " by decision" }
            p.summary { strong #calls-total { (o.calls.total()) } " calls in " (words) ":" }
            (legend(&total, &hrefs))
            (columns("calls-per-bin", &format!("Calls per {per} by decision, {words}"),
                &format!("{} calls: {}. Each bar links to its calls.", o.calls.total(), stacked_words(&total)), &cols))
            details.fallback {
                summary { "As a table" }
                table {
                    thead { tr { th { "Time" } @for (_, w) in DECISIONS { th { (w) } } } }
                    tbody { @for c in cols.iter().filter(|c| c.counts.iter().sum::<u64>() > 0) {
                        tr { td { a href=(c.href) { (c.label) } } @for n in c.counts { td { (n) } } }
                    } }
                }
            }
        }
    }
}

/// A bar chart with its table.
fn chart(id: &str, title: &str, desc: &str, rows: &[Row]) -> Markup {
    html! {
        (bars(id, title, desc, rows))
        details.fallback {
            summary { "As a table" }
            table { tbody { @for r in rows { tr {
                td { @match &r.href { Some(h) => a href=(h) { (r.label) }, None => (r.label) } }
                td { (r.value) } td { (r.words) }
            } } } }
        }
    }
}

fn refusals(o: &Overview, span: &[(&str, &str); 2], words: &str) -> Markup {
    let rows: Vec<Row> = o
        .refused
        .iter()
        .map(|(layer, n)| Row {
            label: layer.clone(),
            parts: vec![("refused", *n)],
            value: n.to_string(),
            words: format!("{n} refused"),
            href: (layer != OTHER).then(|| {
                href(
                    "/console/calls",
                    &[("decision", "deny"), ("layer", layer), span[0], span[1]],
                )
            }),
            key: format!("layer:{layer}"),
        })
        .collect();
    let total: u64 = o.refused.iter().map(|r| r.1).sum();
    chart(
        "refused-by-layer",
        &format!("Refusals by layer, {words}"),
        &format!("{total} calls refused. Each bar links to the calls that layer refused."),
        &rows,
    )
}

fn busiest(list: &[(String, Split)], what: &str, span: &[(&str, &str); 2], words: &str) -> Markup {
    let rows: Vec<Row> = list
        .iter()
        .map(|(name, split)| {
            let c = counts(split);
            Row {
                label: name.clone(),
                parts: DECISIONS
                    .iter()
                    .zip(c)
                    .map(|((class, _), n)| (*class, n))
                    .collect(),
                value: split.total().to_string(),
                words: stacked_words(&c),
                href: (name != OTHER && name != UNVERIFIED)
                    .then(|| href("/console/calls", &[(what, name), span[0], span[1]])),
                key: format!("{what}:{name}"),
            }
        })
        .collect();
    chart(
        &format!("busiest-{what}s"),
        &format!("The {what}s with the most calls, {words}"),
        &format!("Calls by {what}, stacked by decision. Each bar links to that {what}'s calls."),
        &rows,
    )
}

fn age(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..120 => format!("{s} s"),
        120..7200 => format!("{} min", s / 60),
        _ => format!("{} h", s / 3600),
    }
}

fn approvals(waiting: Result<Vec<Approval>, String>, now: i64) -> Markup {
    let mut list = match waiting {
        Ok(l) => l,
        Err(e) => return html! { p.error { "approvals unreadable: " (e) } },
    };
    list.sort_by_key(|x| x.requested_at);
    let n = list.len();
    let oldest = list.first().map(|x| age(now - x.requested_at));
    let rows: Vec<Row> = list
        .iter()
        .take(WAITING)
        .map(|x| {
            let waited = (now - x.requested_at).max(0);
            Row {
                label: x.binding.tool.clone(),
                parts: vec![("held", u64::try_from(waited / 1000).unwrap_or(0).max(1))],
                value: age(waited),
                words: format!(
                    "waiting {} for agent {}, task {}",
                    age(waited),
                    x.binding.agent,
                    x.binding.task
                ),
                href: Some(format!(
                    "/console/approvals/{}",
                    crate::api::console::inbox::urlenc(&x.id)
                )),
                key: format!("approval:{}", x.id),
            }
        })
        .collect();
    html! {
        p.summary { strong #waiting-count { (n) } " waiting"
            @if let Some(o) = &oldest { ", the oldest for " (o) } "." }
        @if n > 0 {
            (chart("approvals-waiting", "Approvals waiting, by how long",
                &format!("{n} calls wait for a human's approval; each bar links to its request."), &rows))
        }
    }
}

fn stop_buttons(o: &Overview, span: &[(&str, &str); 2], words: &str) -> Markup {
    let rows: Vec<Row> = o
        .stops
        .iter()
        .map(|(action, n)| Row {
            label: action.clone(),
            parts: vec![("stop", *n)],
            value: n.to_string(),
            words: format!("pressed {n} times"),
            href: Some(href(
                "/console/stops",
                &[("action", action), span[0], span[1]],
            )),
            key: format!("action:{action}"),
        })
        .collect();
    chart(
        "stop-buttons",
        &format!("Stop buttons pressed, {words}"),
        "Stop buttons and their releases by action. Each bar links to who pressed it and why.",
        &rows,
    )
}
