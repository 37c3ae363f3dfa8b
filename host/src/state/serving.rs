//! What any host of a fleet needs to serve any request, kept in the shared
//! state: the hosts' token public keys (so every host verifies every
//! host's task tokens), and small shared documents with an expiry — MCP
//! sessions, console sessions and logins under way, held calls' tasks —
//! so that a request may land on any host. Durable.
//!
//! The algorithms on documents are here, once, over [`DocsTx`]; token
//! keys are single statements, one per backend.

use super::tx::Tx;
use super::{StateError, now_ms};

/// A host's token public key, as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedKey {
    /// The key id (`wtk-…`), named in every token it signs (`kid`).
    pub kid: String,
    /// The host that holds the private half.
    pub host: String,
    /// The Ed25519 public key, base64url without padding (as in a JWK).
    pub public_key: String,
    /// When it was published, ms since the epoch.
    pub created_ms: i64,
}

/// The kinds of shared documents.
pub mod doc {
    /// An MCP session (rmcp's `SessionState`: the client's `initialize`).
    pub const MCP_SESSION: &str = "mcp-session";
    /// A console session, by session id.
    pub const CONSOLE_SESSION: &str = "console-session";
    /// A console cookie, by the SHA-256 of its value.
    pub const CONSOLE_COOKIE: &str = "console-cookie";
    /// An OpenID login under way, by its `state`.
    pub const CONSOLE_LOGIN: &str = "console-login";
    /// A held call's task, by task id.
    pub const TASK: &str = "task";
    /// An agent's request to cancel a task, by task id.
    pub const TASK_CANCEL: &str = "task-cancel";
}

/// Token keys and shared documents, shared by the hosts on the state.
#[async_trait::async_trait]
pub trait Serving: Send + Sync {
    /// Publish a host's token public key (kept if published before).
    async fn publish_token_key(&self, key: &PublishedKey) -> Result<(), StateError>;

    /// One published token key, by key id.
    async fn token_key(&self, kid: &str) -> Result<Option<PublishedKey>, StateError>;

    /// Every published token key.
    async fn token_keys(&self) -> Result<Vec<PublishedKey>, StateError>;

    /// Store a shared document (replacing one of the same kind and id),
    /// kept until `expires_ms`.
    async fn put_doc(
        &self,
        kind: &str,
        id: &str,
        body: &str,
        expires_ms: i64,
    ) -> Result<(), StateError>;

    /// A shared document, unless it expired.
    async fn doc(&self, kind: &str, id: &str) -> Result<Option<String>, StateError>;

    /// Remove a shared document and return it (unless it expired): once,
    /// across every host.
    async fn take_doc(&self, kind: &str, id: &str) -> Result<Option<String>, StateError>;
}

/// The statements of shared documents (`shared_docs`).
pub(crate) trait DocsTx {
    /// Forget the documents of `kind` that expired by `now`.
    async fn prune_docs(&mut self, kind: &str, now: i64) -> Result<(), StateError>;
    /// Store a document, replacing one of the same kind and id.
    async fn upsert_doc(
        &mut self,
        kind: &str,
        id: &str,
        body: &str,
        expires_ms: i64,
    ) -> Result<(), StateError>;
    /// A document and when it expires.
    async fn doc(&mut self, kind: &str, id: &str) -> Result<Option<(String, i64)>, StateError>;
    /// Remove a document; it and when it expired.
    async fn remove_doc(
        &mut self,
        kind: &str,
        id: &str,
    ) -> Result<Option<(String, i64)>, StateError>;
}

/// A document's body unless it expired by now.
fn unexpired(found: Option<(String, i64)>) -> Option<String> {
    found
        .filter(|(_, expires)| *expires > now_ms())
        .map(|(body, _)| body)
}

/// [`Serving::put_doc`] in `tx`: expired documents of the kind go first.
pub(crate) async fn put_doc<T: DocsTx + Tx>(
    mut tx: T,
    kind: &str,
    id: &str,
    body: &str,
    expires_ms: i64,
) -> Result<(), StateError> {
    tx.prune_docs(kind, now_ms()).await?;
    tx.upsert_doc(kind, id, body, expires_ms).await?;
    tx.commit().await
}

/// [`Serving::doc`], read on `r`.
pub(crate) async fn read_doc<R: DocsTx>(
    mut r: R,
    kind: &str,
    id: &str,
) -> Result<Option<String>, StateError> {
    Ok(unexpired(r.doc(kind, id).await?))
}

/// [`Serving::take_doc`] in `tx`: removed whether or not it expired.
pub(crate) async fn take_doc<T: DocsTx + Tx>(
    mut tx: T,
    kind: &str,
    id: &str,
) -> Result<Option<String>, StateError> {
    let found = tx.remove_doc(kind, id).await?;
    tx.commit().await?;
    Ok(unexpired(found))
}
