//! The example threat-intel API that `warrant demo` serves on loopback for
//! the `http-lookup` and `advisory-lookup` example plugins: `GET
//! /v1/indicators/{kind}/{value}` and `GET /v1/advisories/{id}` answer from
//! `example-plugins/http-lookup/sample-intel.json`. Indicators need the
//! organisation's key (`Authorization: Bearer KEY`), which the host adds to
//! http-lookup's requests as the credential `INTEL_API_KEY` — the plugin
//! never sees it. The demo makes the key on first run.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// The credential the example config supplies to http-lookup.
const CREDENTIAL: &str = "INTEL_API_KEY";

/// The example intel API's key: the file the config at `config` names for
/// http-lookup's credential `INTEL_API_KEY`, made (random, 0600) when it
/// does not exist yet. `None` when the config supplies no such file.
///
/// # Ambient Authority
///
/// Reads the config at `config` and reads or creates the key file it names.
///
/// # Errors
///
/// When the config cannot be read or the key cannot be written.
pub(crate) fn api_key(config: &Path) -> anyhow::Result<Option<String>> {
    let text = std::fs::read_to_string(config)?;
    let file: crate::config::ConfigFile = toml::from_str(&text)?;
    let dir = config.parent().unwrap_or(Path::new("."));
    let Some(rel) = file
        .plugins
        .iter()
        .filter(|p| p.manifest.ends_with("http-lookup.toml"))
        .find_map(|p| p.supplies.credentials.get(CREDENTIAL)?.file.clone())
    else {
        return Ok(None);
    };
    let path = dir.join(rel);
    if !path.exists() {
        let mut bytes = [0u8; 24];
        getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let parent = path.parent().unwrap_or(Path::new("."));
        let dir = crate::privfs::create_private_dir(parent)?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| anyhow::anyhow!("{} names no file", path.display()))?;
        crate::privfs::write_new(&dir, name, hex::encode(bytes).as_bytes(), 0o600)?;
    }
    Ok(Some(std::fs::read_to_string(&path)?.trim().to_owned()))
}

/// The sample data, beside the example config in `dir`.
pub(crate) fn data(dir: &Path) -> std::path::PathBuf {
    dir.join("../example-plugins/http-lookup/sample-intel.json")
}

/// What the API serves from, and the key indicators need.
struct Api {
    data: Value,
    key: Option<String>,
}

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
    /// Serve `data` (a JSON file with an `indicators` list) on `addr`;
    /// indicators only to requests bearing `key`, when there is one.
    ///
    /// # Errors
    ///
    /// [`DemoError`] when the data cannot be read or the address bound.
    pub(crate) async fn start(
        data: &Path,
        addr: SocketAddr,
        key: Option<String>,
    ) -> Result<Self, DemoError> {
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
            .with_state(Arc::new(Api { data: value, key }));
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
    State(api): State<Arc<Api>>,
    headers: HeaderMap,
    UrlPath((kind, value)): UrlPath<(String, String)>,
) -> Response {
    if let Some(key) = &api.key {
        let bearer = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if bearer != Some(key.as_str()) {
            return (
                StatusCode::UNAUTHORIZED,
                [("www-authenticate", "Bearer")],
                axum::Json(serde_json::json!({"error": "the organisation's key is needed"})),
            )
                .into_response();
        }
    }
    let found = api.data["indicators"].as_array().and_then(|list| {
        list.iter()
            .find(|i| i["kind"] == kind.as_str() && i["indicator"] == value.as_str())
    });
    match found {
        Some(i) => axum::Json(i.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn advisory(State(api): State<Arc<Api>>, UrlPath(id): UrlPath<String>) -> Response {
    let found = api.data["advisories"]
        .as_array()
        .and_then(|list| list.iter().find(|a| a["id"] == id.as_str()));
    match found {
        Some(a) => axum::Json(a.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
