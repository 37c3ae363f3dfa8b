//! What every HTTP handler shares.

use std::sync::Arc;

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
    pub(crate) console: Arc<crate::api::console::ConsoleState>,
}
