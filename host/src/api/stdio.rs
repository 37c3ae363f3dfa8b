//! MCP over stdio, for a desktop agent that launches `warrant serve --stdio`
//! itself: stdout carries only the protocol (logs go to stderr), and every
//! request acts under the one task token the process was given.

use rmcp::ServiceExt as _;

use crate::Host;
use crate::api::mcp::McpServer;
use crate::api::strict::{Checked, MAX_MESSAGE, check_message};
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
    let server = McpServer::with_token(host.clone(), token);
    let (transport, writer) = framed_stdio();
    let result = match server.serve(transport).await {
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
    // Everything rmcp wrote reaches stdout before the process ends.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), writer).await;
    result
}

/// stdin and stdout, one JSON-RPC message per line, with every message read
/// strictly before rmcp sees it ([`check_message`]): returns the transport
/// rmcp serves on and the task that writes its output.
fn framed_stdio() -> (
    (tokio::io::DuplexStream, tokio::io::DuplexStream),
    tokio::task::JoinHandle<()>,
) {
    use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
    let (rmcp_in, mut feed) = tokio::io::duplex(64 * 1024);
    let (drain, rmcp_out) = tokio::io::duplex(64 * 1024);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        let mut stdin = BufReader::new(tokio::io::stdin());
        let mut line = Vec::new();
        loop {
            line.clear();
            let limit = (MAX_MESSAGE + 1) as u64;
            match (&mut stdin).take(limit).read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if line.last() != Some(&b'\n') && line.len() > MAX_MESSAGE {
                // Skip the rest of an oversized line.
                let mut rest = Vec::new();
                let _ = stdin.read_until(b'\n', &mut rest).await;
                let _ = tx.send(format!(
                    "{{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{{\"code\":-32600,\"message\":\"Invalid Request: a message may be at most {MAX_MESSAGE} bytes\"}}}}"
                ));
                continue;
            }
            let checked = match std::str::from_utf8(&line) {
                Ok(t) if t.trim().is_empty() => continue,
                Ok(t) => check_message(t.trim_end()),
                Err(_) => check_message("\u{fffd} (not UTF-8)"),
            };
            match checked {
                Checked::Pass => {}
                Checked::Drop => continue,
                Checked::Answer(err) => {
                    let _ = tx.send(err.to_line());
                    continue;
                }
            }
            if feed.write_all(&line).await.is_err() {
                break;
            }
        }
    });
    let writer = tokio::spawn(async move {
        let mut out = tokio::io::stdout();
        let mut from_rmcp = BufReader::new(drain).lines();
        let (mut rmcp_open, mut errors_open) = (true, true);
        while rmcp_open || errors_open {
            let line = tokio::select! {
                l = from_rmcp.next_line(), if rmcp_open => match l {
                    Ok(Some(l)) => l,
                    _ => { rmcp_open = false; continue; }
                },
                e = rx.recv(), if errors_open => match e {
                    Some(e) => e,
                    None => { errors_open = false; continue; }
                },
            };
            if out.write_all(line.as_bytes()).await.is_err()
                || out.write_all(b"\n").await.is_err()
                || out.flush().await.is_err()
            {
                return;
            }
        }
    });
    ((rmcp_in, rmcp_out), writer)
}
