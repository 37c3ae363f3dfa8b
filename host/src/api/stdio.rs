//! MCP over stdio, for a desktop agent that launches `warrant serve --stdio`
//! itself: stdout carries only the protocol (logs go to stderr), and every
//! request acts under the one task token the process was given.

use std::sync::Arc;

use rmcp::ServiceExt as _;

use crate::Host;
use crate::api::mcp::McpServer;
use crate::api::{ApiError, http::shutdown_signal};

/// Serve MCP on stdin/stdout under `token` until the client closes stdin
/// or the process gets Ctrl-C / SIGTERM; then cancel calls in flight and
/// flush the audit chain.
///
/// # Errors
///
/// [`ApiError`] when there is no token or the session cannot start.
pub async fn serve_stdio(host: Host, token: String) -> Result<(), ApiError> {
    if token.trim().is_empty() {
        return Err(ApiError::NoToken);
    }
    if let Err(r) = host.tools_for(&token).await {
        // Not fatal: tools/list will tell the client the same.
        tracing::warn!("the task token is not accepted now: {r}");
    }
    let server = McpServer::with_token(host.clone(), Arc::default(), token);
    let result = match server.serve(rmcp::transport::stdio_pipes()).await {
        Ok(running) => {
            let stop = running.cancellation_token();
            tokio::select! {
                r = running.waiting() => r.map(|_| ()).map_err(|e| ApiError::Serve(e.to_string())),
                why = shutdown_signal() => {
                    tracing::info!("{why}: stopping");
                    stop.cancel();
                    Ok(())
                }
            }
        }
        Err(e) => Err(ApiError::Serve(format!(
            "the MCP session did not start: {e}"
        ))),
    };
    host.shutdown("the MCP stdio session ended").await;
    result
}
