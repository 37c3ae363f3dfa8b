//! What every HTTP handler shares.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::Host;
use crate::api::metrics::Metrics;
use crate::audit::CallIndex;

/// What every handler shares.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub(crate) host: Host,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) admin_token: Arc<str>,
    /// `/metrics`' bearer token, when the config asks for one.
    pub(crate) metrics_token: Option<Arc<str>>,
    /// The audit chain by call id.
    pub(crate) index: Arc<CallIndex>,
    /// The console's sessions and logins under way.
    pub(crate) console: Arc<ConsoleState>,
    /// Held calls as tasks (MCP and `/v1/tasks`).
    pub(crate) tasks: Arc<crate::api::tasks::Tasks>,
    /// This server's DPoP nonces.
    pub(crate) nonces: Arc<crate::api::nonces::Nonces>,
}

/// What the console keeps per server.
#[derive(Debug, Default)]
pub(crate) struct ConsoleState {
    /// Whether the server terminates TLS (cookies are then `Secure`).
    pub(crate) tls: bool,
    /// SHA-256 of a session cookie → its session.
    pub(crate) cookies: Mutex<HashMap<String, CookieSession>>,
    /// OpenID logins under way, by `state`.
    pub(crate) pending: Mutex<HashMap<String, Pending>>,
}

#[derive(Debug, Clone)]
pub(crate) struct CookieSession {
    pub(crate) session: String,
    pub(crate) csrf: String,
    pub(crate) flash: Option<String>,
}

impl ConsoleState {
    /// A console for a server that does (or does not) terminate TLS.
    pub(crate) fn new(tls: bool) -> Self {
        Self {
            tls,
            ..Self::default()
        }
    }
}

/// A login under way.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) verifier: String,
    pub(crate) key: ed25519_dalek::SigningKey,
    pub(crate) redirect_uri: String,
    /// SHA-256 of the browser's login cookie.
    pub(crate) browser: String,
    pub(crate) started: Instant,
}
