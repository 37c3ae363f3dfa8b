//! Credentials a plugin never holds, with the real `fetcher` plugin against
//! a test origin on 127.0.0.1 that records the `Authorization` header of
//! every request and echoes it back: the host adds the credential only
//! where its binding says, replaces the plugin's own header, refuses
//! `secret()` for it, scrubs an echo, and blocks an output, error or log
//! line holding a secret; an OAuth client's tokens come from a real
//! authorization server and are fetched again when they expire.

mod binding;
mod leaks;
mod oauth;

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, Method, Uri};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use warrant::{CallError, CallRequest, Host};

/// One request the origin saw: method, path, `Authorization` (if any).
pub(crate) type Seen = Arc<Mutex<Vec<(String, String, Option<String>)>>>;

/// Start a test origin; its port and what it saw.
pub(crate) async fn origin() -> (u16, Seen) {
    let seen: Seen = Arc::default();
    let s = Arc::clone(&seen);
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap| {
        let s = Arc::clone(&s);
        async move {
            let auth = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            s.lock()
                .unwrap()
                .push((method.to_string(), uri.path().to_owned(), auth.clone()));
            let echo = auth.clone().unwrap_or_default();
            (
                [("x-echo-auth", echo)],
                axum::Json(json!({"path": uri.path(), "authorization": auth})),
            )
                .into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, seen)
}

/// `fetcher.fetch` of `method url` with the plugin's own `headers`.
pub(crate) async fn fetch(
    host: &Host,
    token: &str,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
) -> Result<Value, CallError> {
    let r = host
        .call(CallRequest {
            token: token.into(),
            tool: "fetcher.fetch".into(),
            input: json!({"method": method, "url": url, "headers": headers}).into(),
            channel: "lib",
            ..CallRequest::default()
        })
        .await;
    r.outcome.map(|o| serde_json::from_str(&o).unwrap())
}

/// The `Authorization` the origin saw last.
pub(crate) fn last(seen: &Seen) -> Option<String> {
    seen.lock().unwrap().last().and_then(|(_, _, a)| a.clone())
}
