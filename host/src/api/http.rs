//! One HTTP server: MCP streamable HTTP at `/mcp`, the HTTP/JSON API at
//! `/v1`, the admin API at `/v1/admin`, `/healthz` and `/metrics`.
//!
//! It binds to loopback unless told otherwise, checks `Host` and `Origin` on
//! every request, and on Ctrl-C / SIGTERM (or [`Running::stop`]) drains:
//! `/readyz` fails at once (for [`ServeOptions::drain_grace`], while a load
//! balancer moves new requests elsewhere, it still serves), then it stops
//! accepting connections, lets calls in flight finish (for at most
//! [`ServeOptions::drain_calls`]) and cancels the rest (each audited as
//! cancelled), flushes and ships the audit chain, leaves the fleet, and
//! closes MCP sessions.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware;
use axum::routing::get;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::task::JoinHandle;

use crate::Host;
use crate::api::app::AppState;
use crate::api::mcp::McpServer;
use crate::api::security::{Guard, check_origin};
use crate::api::{ApiError, oauth, operator_api, v1};
use crate::audit::{AuditIndex, Tally};
use crate::vocab::CancelToken;

/// How long a stopping server waits for open connections to finish.
const DRAIN: Duration = Duration::from_secs(10);

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen (port 0: any free port; see [`Running::local_addr`]).
    /// Default `127.0.0.1:8787`.
    pub listen: SocketAddr,
    /// Allow a non-loopback `listen` address. Off by default: the server
    /// speaks plain HTTP, so put TLS or a reverse proxy in front.
    pub allow_remote: bool,
    /// More names accepted in the `Host` header (besides loopback names and
    /// the listen address), e.g. the name a reverse proxy forwards.
    pub allowed_hosts: Vec<String>,
    /// Browser origins allowed besides local pages, as `scheme://host[:port]`.
    pub allowed_origins: Vec<String>,
    /// Stop on Ctrl-C / SIGTERM (a CLI wants this; a test does not).
    pub handle_signals: bool,
    /// Terminate TLS with this certificate and key (read again when they
    /// change). With TLS the server may listen beyond loopback.
    pub tls: Option<crate::api::tls::TlsFiles>,
    /// When stopping: how long to go on serving, not ready (`/readyz`
    /// fails), before no longer taking connections — long enough for a
    /// load balancer's check to send new requests elsewhere. Default 0.
    pub drain_grace: Duration,
    /// When stopping: how long calls in flight may take to finish before
    /// they are cancelled (and audited so). Default 0: cancelled at once.
    pub drain_calls: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            allow_remote: false,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            handle_signals: true,
            tls: None,
            drain_grace: Duration::ZERO,
            drain_calls: Duration::ZERO,
        }
    }
}

/// A running server.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    admin_token_path: PathBuf,
    stop: CancelToken,
    task: JoinHandle<Result<(), ApiError>>,
}

impl Running {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The file holding the admin API's credential.
    pub fn admin_token_path(&self) -> &Path {
        &self.admin_token_path
    }

    /// Begin a graceful stop (as Ctrl-C would).
    pub fn stop(&self) {
        self.stop.cancel("the server was asked to stop");
    }

    /// Wait until the server has stopped — calls finished or cancelled, the
    /// audit chain flushed.
    ///
    /// # Errors
    ///
    /// [`ApiError::Serve`] when the server failed.
    pub async fn wait(self) -> Result<(), ApiError> {
        self.task
            .await
            .map_err(|e| ApiError::Serve(format!("the server task failed: {e}")))?
    }

    /// [`Running::stop`], then [`Running::wait`].
    ///
    /// # Errors
    ///
    /// As [`Running::wait`].
    pub async fn shutdown(self) -> Result<(), ApiError> {
        self.stop();
        self.wait().await
    }
}

/// Bind and start serving `host`; returns once the socket is bound.
///
/// # Errors
///
/// [`ApiError`] when the address is refused or cannot be bound, or the admin
/// credential cannot be created.
pub async fn serve_http(host: Host, opts: ServeOptions) -> Result<Running, ApiError> {
    if !opts.listen.ip().is_loopback() && !opts.allow_remote && opts.tls.is_none() {
        return Err(ApiError::NotLoopback { addr: opts.listen });
    }
    let admin_token = host
        .state_dir()
        .admin_token()
        .map_err(|e| ApiError::AdminToken {
            path: host.state_dir().admin_token_path(),
            why: e.to_string(),
        })?;
    let admin_token_path = host.state_dir().admin_token_path();
    let metrics_token = match &host.config().metrics_token_file {
        None => None,
        Some(f) => {
            // A file the operator's config names: ambient authority.
            let t = std::fs::read_to_string(f).map_err(|e| ApiError::AdminToken {
                path: f.clone(),
                why: format!("the metrics token file cannot be read: {e}"),
            })?;
            let t = t.trim().to_owned();
            if t.len() < 16 {
                return Err(ApiError::AdminToken {
                    path: f.clone(),
                    why: "the metrics token must be at least 16 characters".into(),
                });
            }
            Some(Arc::from(t.as_str()))
        }
    };
    // A certificate that does not load stops the start, before binding.
    let tls = match &opts.tls {
        Some(files) => Some((files.clone(), files.load().map_err(ApiError::Tls)?)),
        None => None,
    };
    let bind_err = |e: std::io::Error| ApiError::Bind {
        addr: opts.listen,
        why: e.to_string(),
    };
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(bind_err)?;
    let addr = listener.local_addr().map_err(bind_err)?;
    let guard = Arc::new(Guard::new(addr, &opts.allowed_hosts, &opts.allowed_origins));

    let shared_sessions = Arc::new(crate::api::mcp_sessions::SharedSessions::new(Arc::clone(
        host.state(),
    )));
    let mut mcp_config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(guard.hosts())
        .with_allowed_origins(guard.rmcp_origins(&opts.allowed_origins))
        .enforce_origin_validation();
    // Sessions of earlier protocol versions, in the shared state: any host
    // restores one it does not hold.
    mcp_config.session_store = Some(Arc::clone(&shared_sessions) as _);
    let mcp_stop = mcp_config.cancellation_token.clone();
    let h = host.clone();
    let sessions = Arc::new(LocalSessionManager::default());
    let tasks = Arc::new(crate::api::tasks::Tasks::shared(Arc::clone(host.state())));
    let t = Arc::clone(&tasks);
    let lists = Arc::new(crate::api::lists::ListWatch::default());
    let mcp = StreamableHttpService::new(
        move || {
            Ok(McpServer::per_request(h.clone()).with_shared(Arc::clone(&t), Arc::clone(&lists)))
        },
        Arc::clone(&sessions),
        mcp_config,
    );

    // The tally begins now: its totals count from this server's start,
    // and its read-back (bounded) is done before the first page needs it.
    let tally = Arc::new(Tally::new(host.audit().paths().log.clone()));
    if let Err(e) = tally.begin_now() {
        tracing::warn!("the audit chain's tally cannot see the chain: {e}");
    }
    host.meters().observe_chain(Arc::clone(&tally));
    let first = Arc::clone(&tally);
    tokio::task::spawn_blocking(move || {
        if let Err(e) = first.refresh() {
            tracing::warn!("the audit chain's tally could not read it: {e}");
        }
    });
    // The chain's index is kept up to date by a thread of its own, off
    // the calls' path; lookups read what it has not seen from the chain.
    let index = Arc::new(AuditIndex::beside(&host.audit().paths().log));
    AuditIndex::follow(&index, std::time::Duration::from_secs(1));
    let state = AppState {
        index,
        tally,
        host: host.clone(),
        admin_token: admin_token.into(),
        readers: Arc::default(),
        metrics_token,
        console: Arc::new(crate::api::app::ConsoleState::new(opts.tls.is_some())),
        tasks,
        nonces: Arc::default(),
    };
    let router = Router::new()
        .merge(
            Router::new()
                .route_service("/mcp", mcp)
                .layer(middleware::from_fn_with_state(
                    (sessions, shared_sessions),
                    crate::api::mcp_http::strict_mcp,
                ))
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    crate::api::challenge::mcp_auth,
                )),
        )
        .merge(v1::routes().merge(crate::api::v1_tasks::routes()).layer(
            middleware::from_fn_with_state(state.clone(), crate::api::dpop::v1_sender),
        ))
        .merge(oauth::routes())
        .merge(crate::api::console::routes())
        .nest("/v1/admin", operator_api::routes(state.clone()))
        .route("/healthz", get(crate::api::health::healthz))
        .route("/readyz", get(crate::api::health::readyz))
        .route("/metrics", get(crate::api::health::metrics_text))
        .layer(middleware::from_fn_with_state(guard, check_origin))
        .layer(middleware::from_fn(
            crate::api::security::host_from_authority,
        ))
        .with_state(state);

    let stop = CancelToken::new();
    let draining = CancelToken::new();
    let drained = {
        let draining = draining.clone();
        async move { draining.cancelled().await }
    };
    let mut serving = match tls {
        None => tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(drained)
                .await
        }),
        Some((files, config)) => {
            let listener = crate::api::tls::TlsListener::start(listener, files, config);
            tokio::spawn(async move {
                axum::serve(listener, router)
                    .with_graceful_shutdown(drained)
                    .await
            })
        }
    };
    let signals = opts.handle_signals;
    let drain = (opts.drain_grace, opts.drain_calls);
    let stopper = stop.clone();
    let task = tokio::spawn(async move {
        let why = if signals {
            tokio::select! {
                () = stopper.cancelled() => stopper.reason(),
                why = shutdown_signal() => why,
            }
        } else {
            stopper.cancelled().await;
            stopper.reason()
        };
        tracing::info!("{why}: stopping");
        // Not ready: the balancer sends new requests elsewhere, while this
        // host still serves those that reach it.
        host.start_draining();
        tokio::time::sleep(drain.0).await;
        // No new connections; calls in flight may finish (for at most
        // `drain_calls`), the rest are cancelled and audited, and their
        // answers still reach their clients; then the chain is flushed and
        // shipped, the fleet left, and the MCP sessions closed.
        draining.cancel(why.clone());
        host.drain(&format!("the server is stopping ({why})"), drain.1)
            .await;
        mcp_stop.cancel();
        match tokio::time::timeout(DRAIN, &mut serving).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(ApiError::Serve(e.to_string())),
            Ok(Err(e)) => Err(ApiError::Serve(format!("the server task failed: {e}"))),
            Err(_) => {
                tracing::warn!("connections still open after {DRAIN:?}; closing them");
                serving.abort();
                Ok(())
            }
        }
    });
    Ok(Running {
        addr,
        admin_token_path,
        stop,
        task,
    })
}

/// Resolves on Ctrl-C or SIGTERM, saying which.
pub(crate) async fn shutdown_signal() -> String {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "interrupted (Ctrl-C)".to_owned(),
                _ = term.recv() => "terminated (SIGTERM)".to_owned(),
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "interrupted (Ctrl-C)".to_owned()
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "interrupted (Ctrl-C)".to_owned()
    }
}
