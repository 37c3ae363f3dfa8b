//! `GET /console/events`: server-sent events telling open consoles that
//! something they show changed — an approval requested or decided, a stop
//! button pressed (by this console, another one, or the CLI) — so they
//! fetch the part that changed. The stream looks at the shared state twice
//! a second and sends an event only on a change.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};

use crate::api::app::AppState;
use crate::api::console::{authed, refusal};
use crate::keys::sha256_hex;
use crate::state::now_ms;

const EVERY: Duration = Duration::from_millis(500);

/// A digest of what the console shows: approvals and stop state.
async fn fingerprint(s: &AppState) -> String {
    let approvals = s.host.operator().approvals(true).await.unwrap_or_default();
    let now = now_ms();
    let mut text = String::new();
    for a in approvals
        .iter()
        .filter(|a| now - a.requested_at < 86_400_000)
    {
        text.push_str(&format!(
            "{} {} {} {:?};",
            a.id,
            a.shown_status(now),
            a.votes.len(),
            a.used_at
        ));
    }
    if let Ok(stops) = s.host.stops().await {
        text.push_str(&format!(
            "halted={:?} agents={:?} plugins={:?} tokens={}",
            stops.halted.as_ref().map(|h| &h.at),
            stops.agents.keys().collect::<Vec<_>>(),
            stops.plugins.keys().collect::<Vec<_>>(),
            stops.tokens.len()
        ));
    }
    // Any record appended (a held call ran, a decision, a stop) may change
    // what a page shows.
    let log = &s.host.audit().paths().log;
    let size = std::fs::metadata(log).map_or(0, |m| m.len());
    text.push_str(&format!(" log={size}"));
    sha256_hex(text.as_bytes())
}

pub(crate) async fn events(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let Some(a) = authed(&s, &headers).await else {
        return refusal(StatusCode::UNAUTHORIZED, "not logged in");
    };
    // The first look always counts as a change: whatever changed between
    // the page's rendering and this stream's start is fetched then.
    let first = String::new();
    let session = a.session.id.clone();
    let stream =
        futures_util::stream::unfold((s, first, session), |(s, last, session)| async move {
            loop {
                tokio::time::sleep(EVERY).await;
                // A session that ended gets no more news.
                s.host.operator().session(&session, None).await?;
                let now = fingerprint(&s).await;
                if now != last {
                    let ev = Event::default().event("change").data(now.clone());
                    return Some((Ok::<_, Infallible>(ev), (s, now, session)));
                }
            }
        });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
