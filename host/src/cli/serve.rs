//! `warrant serve`

use std::net::SocketAddr;
use std::process::ExitCode;

use crate::api::{ServeOptions, serve_http, serve_stdio};
use crate::cli::ConfigArg;
use crate::vocab::parse_duration;
use crate::{Host, HostConfig, HostOptions};

/// Serve agents: MCP over stdio, or MCP, HTTP/JSON and admin APIs over HTTP.
///
/// --stdio: an MCP server on stdin/stdout for a desktop agent that launches
/// warrant itself; every call acts under the task token from --token or
/// WARRANT_TOKEN. stdout carries only the protocol; logs go to stderr.
///
/// --listen ADDR: one HTTP server with MCP streamable HTTP at /mcp, an
/// HTTP/JSON API at /v1 (GET /v1/tools, POST /v1/tools/PLUGIN.TOOL/call,
/// GET /v1/calls/CALL_ID), the admin API at /v1/admin, /healthz and
/// /metrics (Prometheus). Agents send their task token as
/// `Authorization: Bearer <token>`; the admin API takes the operator
/// credential from STATE_DIR/keys/admin.token instead (created on first
/// start, mode 0600), and still checks the operator name against
/// [operators] and the approvers in warrant.toml.
///
/// Security: without a certificate the server speaks plain HTTP and
/// listens on loopback only. Every request's Host must name this server and
/// a browser's Origin must be a local page (or one allowed with
/// --allow-origin). To listen beyond loopback give it a certificate
/// (--tls-cert and --tls-key: it terminates TLS itself, and reads both
/// files again when they change), or pass --allow-remote when a reverse
/// proxy in front terminates TLS; allow the name clients use with
/// --allow-host.
///
/// Ctrl-C or SIGTERM stops it gracefully: /readyz fails at once (a load
/// balancer sends new requests elsewhere) while the host serves on for
/// --drain-grace; then calls in flight get --drain-calls to finish, the rest
/// are cancelled and audited, the audit chain is flushed and shipped, and
/// the host leaves its fleet. /healthz says it is alive; /readyz whether it
/// should be sent requests (not draining, shared state reachable, plugins
/// loaded).
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["stdio", "listen"])))]
pub struct Args {
    /// Serve MCP over stdin/stdout.
    #[arg(long)]
    pub stdio: bool,
    /// The task token for --stdio (from `warrant token issue`).
    #[arg(long, env = "WARRANT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Serve HTTP on this address, e.g. 127.0.0.1:8787 (port 0: any free port).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Allow --listen on a non-loopback address without a certificate: say
    /// so only when a reverse proxy in front terminates TLS, since the
    /// server itself then speaks plain HTTP.
    #[arg(long, requires = "listen")]
    pub allow_remote: bool,
    /// Terminate TLS with this certificate chain (PEM, leaf first); needs
    /// --tls-key. Read again when it changes.
    #[arg(long, value_name = "FILE", requires_all = ["listen", "tls_key"])]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Also accept this name in the Host header (e.g. the name a reverse
    /// proxy forwards). Repeatable.
    #[arg(long = "allow-host", value_name = "NAME", requires = "listen")]
    pub allow_hosts: Vec<String>,
    /// Also accept browser requests from this origin (scheme://host[:port]).
    /// Repeatable.
    #[arg(long = "allow-origin", value_name = "ORIGIN", requires = "listen")]
    pub allow_origins: Vec<String>,
    /// When stopping, serve on (not ready) this long before taking no new
    /// connections: the load balancer's check interval times its fall
    /// count, and a margin. Default: 2s on a fleet ([state] url), else 0.
    #[arg(long, value_name = "DURATION", requires = "listen")]
    pub drain_grace: Option<String>,
    /// When stopping, give calls in flight this long to finish before
    /// cancelling them. Default: 30s on a fleet, else 0 (cancel at once).
    #[arg(long, value_name = "DURATION", requires = "listen")]
    pub drain_calls: Option<String>,
    /// DEVELOPMENT ONLY: load unsigned manifests. Never on a real host.
    #[arg(long)]
    pub insecure: bool,
    #[command(flatten)]
    pub config: ConfigArg,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let config = HostConfig::load(&a.config.config)?;
    if a.insecure {
        eprintln!(
            "WARNING: --insecure: unsigned manifests are accepted; never use this outside development"
        );
    }
    let opts = HostOptions {
        insecure: a.insecure,
        record_loads: true,
        watch_files: true,
        ..HostOptions::default()
    };
    let fleet = config.state.postgres.is_some();
    let default = |fleet_default: &str| if fleet { fleet_default } else { "0s" }.to_owned();
    let drain_grace = parse_duration(&a.drain_grace.unwrap_or_else(|| default("2s")))?;
    let drain_calls = parse_duration(&a.drain_calls.unwrap_or_else(|| default("30s")))?;
    let host = Host::open(config, opts).await?;
    host.reload_on_sighup();
    for r in host.registry().refusals() {
        eprintln!(
            "warning: plugin not loaded: {}",
            crate::vocab::safe(&r.error.to_string())
        );
    }
    let Some(listen) = a.listen else {
        serve_stdio(host, a.token.unwrap_or_default()).await?;
        return Ok(ExitCode::SUCCESS);
    };
    let tls = match (a.tls_cert, a.tls_key) {
        (Some(cert), Some(key)) => Some(crate::api::TlsFiles { cert, key }),
        _ => None,
    };
    if a.allow_remote && tls.is_none() && !listen.ip().is_loopback() {
        eprintln!(
            "WARNING: --allow-remote: listening on {listen}, beyond this machine. warrant speaks \
             plain HTTP: a reverse proxy in front must terminate TLS."
        );
    }
    let server = serve_http(
        host,
        ServeOptions {
            listen,
            allow_remote: a.allow_remote,
            allowed_hosts: a.allow_hosts,
            allowed_origins: a.allow_origins,
            handle_signals: true,
            tls: tls.clone(),
            drain_grace,
            drain_calls,
        },
    )
    .await?;
    let addr = server.local_addr();
    let scheme = if tls.is_some() { "https" } else { "http" };
    eprintln!("warrant: serving on {scheme}://{addr}");
    eprintln!(
        "  MCP (streamable HTTP): {scheme}://{addr}/mcp   (Authorization: Bearer <task token>)"
    );
    eprintln!("  HTTP/JSON API:         {scheme}://{addr}/v1/tools");
    eprintln!(
        "  admin API:             {scheme}://{addr}/v1/admin   (credential: {})",
        server.admin_token_path().display()
    );
    eprintln!(
        "  health, metrics:       {scheme}://{addr}/healthz, {scheme}://{addr}/readyz, {scheme}://{addr}/metrics"
    );
    server.wait().await?;
    eprintln!("warrant: stopped; the audit chain is flushed");
    Ok(ExitCode::SUCCESS)
}
