//! Health for operators and load balancers: `/healthz` (the process is
//! alive), `/readyz` (send it requests: not draining, its shared state
//! answers, its plugins are loaded — a load balancer's check), `/metrics`
//! (Prometheus).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::api::app::AppState;
use crate::api::security::same_secret;

#[derive(Debug, serde::Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    plugins: usize,
    calls_in_flight: usize,
}

pub(crate) async fn healthz(State(s): State<AppState>) -> impl IntoResponse {
    axum::Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        plugins: s.host.registry().plugins().count(),
        calls_in_flight: s.host.inflight(),
    })
}

pub(crate) async fn metrics_text(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    if let Some(want) = &s.metrics_token
        && !crate::api::security::bearer(&headers).is_some_and(|t| same_secret(t, want))
    {
        return crate::api::security::error(
            axum::http::StatusCode::UNAUTHORIZED,
            "metrics",
            "/metrics needs the bearer token from the file api.metrics-token-file names",
        );
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::api::metrics::render(&s.host).await,
    )
        .into_response()
}

#[derive(Debug, serde::Serialize)]
struct Ready {
    ready: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    why: Vec<String>,
}

/// `/readyz`: 200 when the host should be sent requests, else 503 naming
/// why.
pub(crate) async fn readyz(State(s): State<AppState>) -> impl IntoResponse {
    match s.host.ready().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(Ready {
                ready: true,
                why: Vec::new(),
            }),
        ),
        Err(crate::mediation::NotReady(why)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(Ready { ready: false, why }),
        ),
    }
}
