//! What a plugin used during a call, as the sandbox reports it and the audit
//! chain records it.

/// Something a plugin did that its grants allowed (or tried and was refused).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CapabilityUse {
    /// An outbound HTTP request.
    Http {
        /// Request method.
        method: String,
        /// `scheme://host:port` as requested.
        origin: String,
        /// Path and query, cut at 512 characters.
        path: String,
        /// Response status, when one arrived.
        status: Option<u16>,
        /// Response body bytes the plugin read.
        bytes: u64,
        /// Why the host refused the request, when it did.
        refused: Option<String>,
    },
    /// A secret read, by name only.
    Secret {
        /// The secret's name.
        name: String,
        /// Whether it was granted (and so delivered).
        granted: bool,
    },
}
