//! Plugin authors in Python and TypeScript as well as Rust: their
//! components built from source with the toolchains an author uses, run by
//! the host like any other (`runtimes`, `examples`); the checks a host
//! makes applied when signing and inspecting (`checks`); and `warrant new`
//! → build → `warrant test` → `warrant dev` → sign → an agent's MCP call,
//! for each language (`projects`).

mod checks;
mod demo;
mod examples;
mod projects;
mod runtimes;

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// The example threat-intel API (indicators and advisories from
/// `sample-intel.json`) on a free loopback port; its origin.
pub(crate) async fn intel_api() -> String {
    let path =
        warrant_tests::workspace_root().join("example-plugins/http-lookup/sample-intel.json");
    let data: Arc<Value> =
        Arc::new(serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap());
    async fn find(data: &Value, list: &str, key: &str, value: &str) -> Response {
        match data[list]
            .as_array()
            .and_then(|l| l.iter().find(|i| i[key] == value))
        {
            Some(i) => axum::Json(i.clone()).into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    }
    let app = axum::Router::new()
        .route(
            "/v1/indicators/{kind}/{value}",
            axum::routing::get(
                |State(d): State<Arc<Value>>, Path((_, v)): Path<(String, String)>| async move {
                    find(&d, "indicators", "indicator", &v).await
                },
            ),
        )
        .route(
            "/v1/advisories/{id}",
            axum::routing::get(
                |State(d): State<Arc<Value>>, Path(id): Path<String>| async move {
                    find(&d, "advisories", "id", &id).await
                },
            ),
        )
        .route(
            "/v1/indicators/{value}",
            axum::routing::get(
                |State(d): State<Arc<Value>>, Path(v): Path<String>| async move {
                    find(&d, "indicators", "indicator", &v).await
                },
            ),
        )
        .with_state(data);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}
