//! MCP sessions any host of the fleet serves. Clients of the 2026-07-28
//! protocol need none (rmcp serves it statelessly: any host answers any
//! request). For earlier protocol versions a session begins with
//! `initialize` on one host; rmcp's own cross-instance recovery
//! (`StreamableHttpServerConfig::session_store`) keeps the client's
//! `initialize` parameters in the shared state, and a host that meets a
//! session it does not hold in memory restores it from there — replaying
//! the handshake — so `tools/call` may land on any host. A session id
//! proves nothing: every request still carries its task token.

use std::sync::Arc;

use rmcp::transport::streamable_http_server::session::{
    SessionState, SessionStore, SessionStoreError,
};

use crate::state::{SharedState, doc, now_ms};

/// How long a session is kept in the shared state after it began.
const KEEP_MS: i64 = 24 * 3600 * 1000;

/// The sessions, in the shared state.
#[derive(Debug)]
pub(crate) struct SharedSessions {
    state: Arc<dyn SharedState>,
}

impl SharedSessions {
    pub(crate) fn new(state: Arc<dyn SharedState>) -> Self {
        Self { state }
    }

    /// Whether session `id` is known to the fleet.
    pub(crate) async fn known(&self, id: &str) -> bool {
        matches!(self.state.doc(doc::MCP_SESSION, id).await, Ok(Some(_)))
    }
}

#[async_trait::async_trait]
impl SessionStore for SharedSessions {
    async fn load(&self, id: &str) -> Result<Option<SessionState>, SessionStoreError> {
        match self.state.doc(doc::MCP_SESSION, id).await? {
            Some(body) => Ok(Some(serde_json::from_str(&body)?)),
            None => Ok(None),
        }
    }

    async fn store(&self, id: &str, state: &SessionState) -> Result<(), SessionStoreError> {
        let body = serde_json::to_string(state)?;
        self.state
            .put_doc(
                doc::MCP_SESSION,
                id,
                &body,
                now_ms().saturating_add(KEEP_MS),
            )
            .await?;
        Ok(())
    }

    async fn delete(&self, id: &str) -> Result<(), SessionStoreError> {
        self.state.take_doc(doc::MCP_SESSION, id).await?;
        Ok(())
    }
}
