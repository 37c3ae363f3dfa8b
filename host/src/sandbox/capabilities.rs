//! What one plugin may touch: the sandbox's view of a plugin's grants.
//!
//! The sandbox knows nothing of manifests, agents or tokens; the registry
//! turns a verified manifest plus the operator's config into
//! [`Capabilities`], and [`Capabilities::default`] grants nothing at all.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::vocab::{Access, HttpOrigin, Limits};

/// Everything a plugin's sandbox is built from. The default denies all.
#[derive(Clone, Default)]
pub struct Capabilities {
    /// Host directories visible to the guest.
    pub files: Vec<FileGrant>,
    /// Origins the guest may send HTTP requests to.
    pub http: Vec<HttpOrigin>,
    /// Environment variables, with the values the operator supplies.
    pub env: Vec<(String, String)>,
    /// Secrets by name; values come from the operator's configuration.
    pub secrets: BTreeMap<String, Secret>,
    /// Whether the guest sees the real wall clock (otherwise it reads the
    /// Unix epoch and a frozen monotonic clock).
    pub clock: bool,
    /// Whether the guest gets real randomness (otherwise a fixed sequence).
    pub random: bool,
    /// Resource limits.
    pub limits: Limits,
    /// `warrant dev` only: a request that passed the grant check is sent
    /// over plain HTTP to this local address (a stub answering from files)
    /// instead of to its origin. `None` for every plugin a host loads: the
    /// registry never sets it.
    pub http_stub: Option<SocketAddr>,
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Capabilities")
            .field("files", &self.files)
            .field("http", &self.http)
            .field("env", &self.env.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("clock", &self.clock)
            .field("random", &self.random)
            .field("limits", &self.limits)
            .field("http_stub", &self.http_stub)
            .finish()
    }
}

/// A host directory mapped into the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileGrant {
    /// The directory on the host (resolved by the operator's config).
    pub host: PathBuf,
    /// Where the guest sees it, an absolute path such as `/logs`.
    pub guest: String,
    /// Read-only or read-write.
    pub access: Access,
}

/// A secret value; never printed by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for delivery to the guest only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}
