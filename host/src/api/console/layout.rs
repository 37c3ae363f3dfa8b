//! The console's page frame: the bar with the host's state, the
//! navigation, the halt button and logout; and the small pages for
//! refusals.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use crate::api::app::AppState;
use crate::api::console::{Authed, part_auth};
use crate::state::StopState;

/// A full page for a logged-in operator.
pub(crate) fn frame(title: &str, a: &Authed, stops: &StopState, body: &Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " — warrant console" }
                    link rel="stylesheet" href="/console/assets/console.css";
                    link rel="icon" href="/console/assets/icon.svg";
                    script src="/console/assets/console.js" defer {}
                }
                body {
                    header.bar {
                        span.brand { "warrant" }
                        nav {
                            a href="/console" { "Approvals" }
                            a href="/console/overview" { "Overview" }
                            a href="/console/agents" { "Agents, tokens, plugins" }
                            form.inline method="get" action="/console/tasks" {
                                input type="search" name="task" placeholder="task id" aria-label="task id";
                                button type="submit" { "Timeline" }
                            }
                        }
                        div #status data-live="/console/fragment/status" { (status(a, stops)) }
                        form.inline method="post" action="/console/logout" {
                            input type="hidden" name="csrf" value=(a.csrf);
                            span.who { (a.session.operator) }
                            button #logout type="submit" { "Log out" }
                        }
                    }
                    @if let Some(f) = &a.flash {
                        p.flash role="status" { (f) }
                    }
                    main { (body) }
                }
            }
        }
        .into_string(),
    )
}

/// The host's state and its halt/resume button.
pub(crate) fn status(a: &Authed, stops: &StopState) -> Markup {
    html! {
        @if let Some(h) = &stops.halted {
            span.badge.danger #host-state { "HALTED by " (h.by) ": " (h.reason) }
            (button(a, "/console/actions/resume", "Resume", "Resume the host: calls run again.", "/console"))
        } @else {
            span.badge.ok #host-state { "serving" }
            (button(a, "/console/actions/halt", "Halt", "Halt the host: every call is refused and calls in flight are cancelled.", "/console"))
        }
    }
}

/// A stop button: a form with a reason, confirmed before it is sent.
pub(crate) fn button(a: &Authed, action: &str, label: &str, confirm: &str, back: &str) -> Markup {
    html! {
        form.stop method="post" action=(action) data-confirm=(confirm) {
            input type="hidden" name="csrf" value=(a.csrf);
            input type="hidden" name="back" value=(back);
            input type="text" name="reason" required placeholder="reason" aria-label={ (label) " reason" };
            button.danger type="submit" { (label) }
        }
    }
}

/// `GET /console/fragment/status`: the state part of the bar, for live
/// updates.
pub(crate) async fn status_fragment(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let a = match part_auth(&s, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match s.host.stops().await {
        Ok(stops) => Html(status(&a, &stops).into_string()).into_response(),
        Err(e) => {
            Html(html! { span.badge.danger { "state unreadable: " (e.to_string()) } }.into_string())
                .into_response()
        }
    }
}

/// A page without the bar (login, refusals).
pub(crate) fn bare(title: &str, message: &str) -> Html<String> {
    bare_with(
        title,
        &html! { p.message { (message) } p { a href="/console" { "Back to the console" } } },
    )
}

/// A page without the bar, with `body`.
pub(crate) fn bare_with(title: &str, body: &Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    title { (title) " — warrant console" }
                    link rel="stylesheet" href="/console/assets/console.css";
                    link rel="icon" href="/console/assets/icon.svg";
                    script src="/console/assets/console.js" defer {}
                }
                body.bare { main { h1 { (title) } (body) } }
            }
        }
        .into_string(),
    )
}

/// Milliseconds since the epoch as a UTC time.
pub(crate) fn when(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}
