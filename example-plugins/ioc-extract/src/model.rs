//! The data the tool works with: the kinds of indicator, the options, and
//! the output.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use warrant_sdk::JsonSchema;

/// A kind of indicator of compromise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IocType {
    /// IPv4 addresses.
    Ipv4,
    /// IPv6 addresses.
    Ipv6,
    /// Domain names with a known top-level domain.
    Domain,
    /// `http`, `https` and `ftp` URLs.
    Url,
    /// E-mail addresses.
    Email,
    /// MD5 digests (32 hex digits).
    Md5,
    /// SHA-1 digests (40 hex digits).
    Sha1,
    /// SHA-256 digests (64 hex digits).
    Sha256,
}

impl IocType {
    /// Every kind, in output order.
    pub const ALL: [Self; 8] = [
        Self::Ipv4,
        Self::Ipv6,
        Self::Domain,
        Self::Url,
        Self::Email,
        Self::Md5,
        Self::Sha1,
        Self::Sha256,
    ];
}

/// What to extract.
#[derive(Debug, Clone)]
pub struct Options {
    /// The kinds to look for; the others come back empty.
    pub types: BTreeSet<IocType>,
    /// Keep private, loopback and link-local addresses.
    pub include_private: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            types: IocType::ALL.into_iter().collect(),
            include_private: false,
        }
    }
}

/// The indicators found, each list deduplicated in first-seen order.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Iocs {
    /// IPv4 addresses, dotted quad.
    pub ipv4: Vec<String>,
    /// IPv6 addresses, canonical compressed form.
    pub ipv6: Vec<String>,
    /// Domain names, lowercased; includes the hosts of URLs and e-mails.
    pub domains: Vec<String>,
    /// URLs with scheme and host lowercased.
    pub urls: Vec<String>,
    /// E-mail addresses with the domain lowercased.
    pub emails: Vec<String>,
    /// MD5 digests, lowercased.
    pub md5: Vec<String>,
    /// SHA-1 digests, lowercased.
    pub sha1: Vec<String>,
    /// SHA-256 digests, lowercased.
    pub sha256: Vec<String>,
    /// How many of each.
    pub counts: Counts,
    /// Whether the text contained defanged indicators (`hxxp`, `[.]`, ...).
    pub defanged: bool,
}

/// The length of each list in [`Iocs`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Counts {
    /// IPv4 addresses.
    pub ipv4: usize,
    /// IPv6 addresses.
    pub ipv6: usize,
    /// Domain names.
    pub domains: usize,
    /// URLs.
    pub urls: usize,
    /// E-mail addresses.
    pub emails: usize,
    /// MD5 digests.
    pub md5: usize,
    /// SHA-1 digests.
    pub sha1: usize,
    /// SHA-256 digests.
    pub sha256: usize,
}
