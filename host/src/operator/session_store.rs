//! Where console sessions live: in the shared state (the session's grant
//! and how it was opened, until it ends), so that a session opened through
//! one host of a fleet is served by every other, survives a restart, and a
//! logout anywhere ends it everywhere; and in each process's memory, a
//! cache of the sessions it served. The session's private key is never in
//! the shared state: the console keeps it sealed under the browser's
//! cookie, and a host that meets a session it does not hold is handed the
//! key by the request that carries the cookie.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::keys::Delegation;
use crate::operator::{OperatorActions, OperatorSigner, Session};
use crate::state::doc;

/// A session as the shared state keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Kept {
    pub(crate) method: String,
    pub(crate) delegation: Delegation,
}

/// The console sessions this process served. Kept across reloads.
#[derive(Debug, Default)]
pub struct Sessions {
    live: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    pub(crate) fn get(&self, id: &str) -> Option<Session> {
        let live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        live.get(id).cloned()
    }

    pub(crate) fn insert(&self, s: Session) {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        live.retain(|_, s| s.not_after > Utc::now().timestamp());
        live.insert(s.id.clone(), s);
    }

    pub(crate) fn remove(&self, id: &str) -> Option<Session> {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        live.remove(id)
    }
}

fn method_name(m: &str) -> &'static str {
    if m == "oidc" { "oidc" } else { "link" }
}

impl OperatorActions {
    /// Keep session `s` in the shared state until it ends.
    pub(crate) async fn share_session(&self, s: &Session) -> Result<(), crate::state::StateError> {
        let kept = Kept {
            method: s.method.to_owned(),
            delegation: (*s.delegation).clone(),
        };
        let body = serde_json::to_string(&kept).unwrap_or_default();
        self.state
            .put_doc(
                doc::CONSOLE_SESSION,
                &s.id,
                &body,
                s.not_after.saturating_mul(1000),
            )
            .await
    }

    /// Session `id` as the shared state has it now: `None` once it ended
    /// (anywhere) or when the state cannot be read (failing closed). A
    /// session this process has not served yet is made from `key`, the
    /// session key the request's cookie unsealed — only if it is the key
    /// the session's grant names.
    pub(crate) async fn shared_session(
        &self,
        id: &str,
        key: Option<ed25519_dalek::SigningKey>,
    ) -> Option<Session> {
        let kept = match self.state.doc(doc::CONSOLE_SESSION, id).await {
            Ok(Some(body)) => serde_json::from_str::<Kept>(&body).ok(),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!("console session {id} cannot be read from the shared state: {e}");
                return None;
            }
        };
        let Some(kept) = kept else {
            // Ended through another host (or expired): forget it here.
            self.sessions.remove(id);
            return None;
        };
        if let Some(s) = self
            .sessions
            .get(id)
            .filter(|s| *s.delegation == kept.delegation)
        {
            return Some(s);
        }
        let key = key?;
        let named = kept.delegation.key().ok()?;
        if named != key.verifying_key() {
            return None;
        }
        let audience = self.audience().await.ok()?;
        let s = Session {
            id: kept.delegation.session.clone(),
            operator: kept.delegation.operator.clone(),
            method: method_name(&kept.method),
            not_after: kept.delegation.not_after,
            signer: OperatorSigner::session(key, kept.delegation.clone()).for_audience(&audience),
            delegation: Arc::new(kept.delegation),
        };
        self.sessions.insert(s.clone());
        Some(s)
    }

    /// End session `id` in the shared state; what it was.
    pub(crate) async fn unshare_session(&self, id: &str) -> Option<Kept> {
        match self.state.take_doc(doc::CONSOLE_SESSION, id).await {
            Ok(found) => found.and_then(|b| serde_json::from_str(&b).ok()),
            Err(e) => {
                tracing::error!("console session {id} could not be ended in the shared state: {e}");
                None
            }
        }
    }
}
