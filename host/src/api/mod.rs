//! The agent-facing API: MCP (stdio and streamable HTTP), a plain HTTP/JSON
//! API, the operator's admin API, `/healthz` and Prometheus `/metrics`.
//!
//! Everything here is a thin shell over [`Host`](crate::Host): every tool
//! call goes through [`Host::call_cancellable`](crate::Host::call_cancellable)
//! — token, scope, grant, stop state, rate, policy, approval, sandbox, audit —
//! and every operator action through
//! [`OperatorActions`](crate::operator::OperatorActions). There is no second
//! path.
//!
//! ```no_run
//! # async fn run(host: warrant::Host) -> Result<(), warrant::api::ApiError> {
//! // One HTTP server on 127.0.0.1: MCP at /mcp, HTTP/JSON at /v1, admin at /v1/admin.
//! let server = warrant::api::serve_http(host, warrant::api::ServeOptions::default()).await?;
//! eprintln!("listening on {}", server.local_addr());
//! server.wait().await // until Ctrl-C / SIGTERM
//! # }
//! ```
//!
//! How a task token reaches a call: over stdio it is fixed for the process
//! (`WARRANT_TOKEN` / `--token`); over HTTP every request carries its own
//! `Authorization: Bearer <task token>`, so nothing is trusted because of an
//! earlier request in the same MCP session.

mod answer;
mod app;
mod call;
mod challenge;
mod console;
mod discovery;
mod dpop;
mod health;
mod http;
mod lists;
mod mcp;
mod mcp_call;
mod mcp_http;
mod mcp_observe;
mod mcp_sessions;
mod mcp_task_view;
mod mcp_view;
mod metrics;
mod nonces;
mod oauth;
mod operator_api;
mod readers;
mod rules_api;
mod security;
mod stdio;
mod strict;
mod task_view;
mod tasks;
mod tls;
mod v1;
mod v1_tasks;
mod verify_api;
mod witness;

use std::net::SocketAddr;
use std::path::PathBuf;

pub use http::{Running, ServeOptions, serve_http};
pub use mcp::{McpServer, mcp_tool_name, qualified_tool_name};
pub use mcp_view::REFUSED;
pub use stdio::serve_stdio;
pub use tls::TlsFiles;
pub use witness::serve_witness;

/// How warrant answers one incoming MCP/JSON-RPC message before rmcp sees
/// it: `None` when rmcp may have it (or it is an invalid notification,
/// which gets no answer), else the JSON-RPC error line. For fuzzing and
/// tests.
pub fn check_mcp_message(text: &str) -> Option<String> {
    match strict::check_message(text) {
        strict::Checked::Answer(e) => Some(e.to_line()),
        strict::Checked::Pass | strict::Checked::Drop => None,
    }
}

/// Why a server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The listen address is not loopback and remote access was not asked for.
    #[error(
        "refusing to listen on {addr}: it is not a loopback address and the server would speak \
         plain HTTP. Give it a certificate (--tls-cert and --tls-key), or pass --allow-remote \
         (ServeOptions::allow_remote) when a reverse proxy in front terminates TLS"
    )]
    NotLoopback {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// The socket could not be bound.
    #[error("cannot listen on {addr}: {why}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        why: String,
    },
    /// A credential file (the admin API's, `/metrics`') could not be read
    /// or created.
    #[error("admin token {}: {why}", path.display())]
    AdminToken {
        /// The token file.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
    /// No task token for an MCP stdio session.
    #[error("no task token: pass --token or set WARRANT_TOKEN (from `warrant token issue`)")]
    NoToken,
    /// The TLS certificate or key could not be used.
    #[error("{0}")]
    Tls(String),
    /// The server failed while running.
    #[error("the server failed: {0}")]
    Serve(String),
}
