//! The example threat-intel API that `warrant demo` serves on loopback for
//! the `http-lookup` and `advisory-lookup` example plugins: `GET
//! /v1/indicators/{kind}/{value}` and `GET /v1/advisories/{id}` answer from
//! `example-plugins/http-lookup/sample-intel.json`.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Why the intel API could not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DemoError {
    /// The data file.
    #[error("cannot read the sample intel {path}: {why}")]
    Data {
        /// The file.
        path: String,
        /// What failed.
        why: String,
    },
    /// The socket.
    #[error("cannot listen on {addr}: {why}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        why: String,
    },
}

/// A running example intel API; stops when dropped.
#[derive(Debug)]
pub(crate) struct IntelServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl IntelServer {
    /// Serve `data` (a JSON file with an `indicators` list) on `addr`.
    ///
    /// # Errors
    ///
    /// [`DemoError`] when the data cannot be read or the address bound.
    pub(crate) async fn start(data: &Path, addr: SocketAddr) -> Result<Self, DemoError> {
        let err = |why: String| DemoError::Data {
            path: data.display().to_string(),
            why,
        };
        let text = std::fs::read_to_string(data).map_err(|e| err(e.to_string()))?;
        let value: Value = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        if !value["indicators"].is_array() {
            return Err(err("no `indicators` list".into()));
        }
        let app = axum::Router::new()
            .route("/v1/indicators/{kind}/{value}", axum::routing::get(lookup))
            .route("/v1/advisories/{id}", axum::routing::get(advisory))
            .with_state(Arc::new(value));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| DemoError::Bind {
                addr,
                why: e.to_string(),
            })?;
        let addr = listener.local_addr().map_err(|e| DemoError::Bind {
            addr,
            why: e.to_string(),
        })?;
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!("example intel API stopped: {e}");
            }
        });
        Ok(Self { addr, task })
    }

    /// Where it listens.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for IntelServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn lookup(
    State(data): State<Arc<Value>>,
    UrlPath((kind, value)): UrlPath<(String, String)>,
) -> Response {
    let found = data["indicators"].as_array().and_then(|list| {
        list.iter()
            .find(|i| i["kind"] == kind.as_str() && i["indicator"] == value.as_str())
    });
    match found {
        Some(i) => axum::Json(i.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn advisory(State(data): State<Arc<Value>>, UrlPath(id): UrlPath<String>) -> Response {
    let found = data["advisories"]
        .as_array()
        .and_then(|list| list.iter().find(|a| a["id"] == id.as_str()));
    match found {
        Some(a) => axum::Json(a.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
