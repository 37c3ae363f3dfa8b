//! What any host of a fleet needs to serve any request, kept in the shared
//! state: the hosts' token public keys (so every host verifies every
//! host's task tokens), and small shared documents with an expiry — MCP
//! sessions, console sessions and logins under way, held calls' tasks —
//! so that a request may land on any host.

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
