//! The local HTTP stub of `warrant dev` and `warrant test`: it answers the
//! requests the sandbox let through (to granted origins only) from files,
//! so that a tool's HTTP path runs without the network.
//!
//! A request to `https://intel.example.com/v1/x` (Host `intel.example.com`)
//! is answered from `fixtures/http/intel.example.com/v1/x`, or `…/x.json`
//! (as `application/json`); a non-default port is part of the directory
//! name (`127.0.0.1_8788`), a path ending in `/` reads `index(.json)`. No
//! file: 404, and the miss is reported.

use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;

use crate::authoring::AuthoringError;

/// A running stub; stopped when dropped.
#[derive(Debug)]
pub(crate) struct Stub {
    addr: SocketAddr,
    misses: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

struct StubState {
    root: PathBuf,
    misses: Arc<Mutex<Vec<String>>>,
}

impl Stub {
    /// Serve `root` (the project's `fixtures/http`) on a free loopback port.
    ///
    /// # Ambient Authority
    ///
    /// Reads files under `root`, a directory of the author's project.
    pub(crate) async fn start(root: PathBuf) -> Result<Self, AuthoringError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| AuthoringError::Stub(e.to_string()))?;
        let addr = listener
            .local_addr()
            .map_err(|e| AuthoringError::Stub(e.to_string()))?;
        let misses = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(StubState {
            root,
            misses: Arc::clone(&misses),
        });
        let router = axum::Router::new().fallback(answer).with_state(state);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Self { addr, misses, task })
    }

    /// Where it listens.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The files asked for that did not exist, since the last call.
    pub(crate) fn take_misses(&self) -> Vec<String> {
        self.misses
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default()
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(State(state): State<Arc<StubState>>, req: Request) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .replace(':', "_");
    let path = req.uri().path().to_owned();
    let file = match response_file(&state.root, &host, &path) {
        Some(f) => f,
        None => {
            let wanted = format!("fixtures/http/{host}{path}(.json)");
            if let Ok(mut m) = state.misses.lock() {
                m.push(wanted.clone());
            }
            return reply(
                StatusCode::NOT_FOUND,
                "text/plain",
                format!("warrant dev: no stub response file {wanted}\n").into_bytes(),
            );
        }
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let json = file.extension().is_some_and(|e| e == "json");
            let kind = if json {
                "application/json"
            } else {
                "text/plain; charset=utf-8"
            };
            reply(StatusCode::OK, kind, bytes)
        }
        Err(e) => reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            format!("warrant dev: cannot read {}: {e}\n", file.display()).into_bytes(),
        ),
    }
}

fn reply(status: StatusCode, kind: &str, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    if let Ok(v) = header::HeaderValue::from_str(kind) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

/// The file answering `host` + `path` under `root`, if there is one; never
/// outside `root`.
fn response_file(root: &Path, host: &str, path: &str) -> Option<PathBuf> {
    if host.is_empty() || host.contains(['/', '\\']) || host.starts_with('.') {
        return None;
    }
    let mut rel = PathBuf::from(host);
    for part in path.split('/').filter(|p| !p.is_empty()) {
        let part = Path::new(part);
        if !matches!(part.components().next(), Some(Component::Normal(_)))
            || part.components().count() != 1
        {
            return None;
        }
        rel.push(part);
    }
    if path.ends_with('/') || path.is_empty() {
        rel.push("index");
    }
    let exact = root.join(&rel);
    if exact.is_file() {
        return Some(exact);
    }
    let json = root.join(format!("{}.json", rel.display()));
    json.is_file().then_some(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_requests_to_files_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("api.example/v1")).unwrap();
        std::fs::write(root.join("api.example/v1/x.json"), "{}").unwrap();
        std::fs::write(root.join("api.example/v1/index"), "i").unwrap();
        assert_eq!(
            response_file(root, "api.example", "/v1/x"),
            Some(root.join("api.example/v1/x.json"))
        );
        assert_eq!(
            response_file(root, "api.example", "/v1/"),
            Some(root.join("api.example/v1/index"))
        );
        assert_eq!(response_file(root, "api.example", "/v1/../../etc"), None);
        assert_eq!(response_file(root, "..", "/x"), None);
        assert_eq!(response_file(root, "api.example", "/v1/y"), None);
    }
}
