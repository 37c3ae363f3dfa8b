//! What every HTTP handler shares.

use std::sync::Arc;

use crate::Host;
use crate::audit::{AuditIndex, Tally};

/// What every handler shares.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub(crate) host: Host,
    pub(crate) admin_token: Arc<str>,
    /// The read credentials of the fleet's hosts.
    pub(crate) readers: Arc<crate::api::readers::Readers>,
    /// `/metrics`' bearer token, when the config asks for one.
    pub(crate) metrics_token: Option<Arc<str>>,
    /// The audit chain by call id.
    pub(crate) index: Arc<AuditIndex>,
    /// The audit chain's last 24 hours, counted (the console's overview).
    pub(crate) tally: Arc<Tally>,
    /// The console's sessions and logins under way.
    pub(crate) console: Arc<ConsoleState>,
    /// Held calls as tasks (MCP and `/v1/tasks`).
    pub(crate) tasks: Arc<crate::api::tasks::Tasks>,
    /// This server's DPoP nonces.
    pub(crate) nonces: Arc<crate::api::nonces::Nonces>,
}

/// What the console keeps per server (its sessions and logins under way
/// are in the shared state: `console::shared`).
#[derive(Debug, Default)]
pub(crate) struct ConsoleState {
    /// Whether the server terminates TLS (cookies are then `Secure`).
    pub(crate) tls: bool,
}

impl ConsoleState {
    /// A console for a server that does (or does not) terminate TLS.
    pub(crate) fn new(tls: bool) -> Self {
        Self { tls }
    }
}

/// An OpenID login under way.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) verifier: String,
    pub(crate) key: ed25519_dalek::SigningKey,
    pub(crate) redirect_uri: String,
    /// SHA-256 of the browser's login cookie.
    pub(crate) browser: String,
}
