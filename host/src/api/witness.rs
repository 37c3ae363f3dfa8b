//! The witness's HTTP shell (`c2sp.org/tlog-witness`): `POST
//! /add-checkpoint` answers the cosignature lines, or the protocol's status
//! with a sentence — 409 with `text/x.tlog.size` and the size this witness
//! last cosigned. The checks are [`crate::audit::tlog::Witness`]'s.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::audit::tlog::{Witness, WitnessError};

/// Serve `witness` on `listen` until the process ends; the address bound
/// and the server's task.
///
/// # Errors
///
/// When the address cannot be bound.
pub async fn serve_witness(
    witness: Arc<Witness>,
    listen: SocketAddr,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let app = Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .layer(DefaultBodyLimit::max(256 * 1024))
        .with_state(witness);
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("witness server: {e}");
        }
    });
    Ok((addr, task))
}

async fn add_checkpoint(State(w): State<Arc<Witness>>, body: String) -> Response {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let result = tokio::task::spawn_blocking(move || w.add_checkpoint(&body, now)).await;
    match result {
        Ok(Ok(lines)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain")],
            lines,
        )
            .into_response(),
        Ok(Err(WitnessError::Conflict(size))) => {
            tracing::warn!("witness: refused a checkpoint: conflict with size {size}");
            (
                StatusCode::CONFLICT,
                [(header::CONTENT_TYPE, "text/x.tlog.size")],
                format!("{size}\n"),
            )
                .into_response()
        }
        Ok(Err(e)) => {
            tracing::warn!("witness: refused a checkpoint: {e}");
            (
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
                [(header::CONTENT_TYPE, "text/plain")],
                format!("{e}\n"),
            )
                .into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}
