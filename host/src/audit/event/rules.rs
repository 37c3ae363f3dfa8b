//! Releases of the rules in the chain (from format 7): each release that
//! takes effect on a host, with its governors' signatures — verifiable
//! offline against the governors of the release before it — and each one
//! refused.

use serde::{Deserialize, Serialize};

use crate::governance::{ReleaseRef, ReleaseSignature};

/// `config.applied`: a release of the rules took effect on this host (or,
/// applied elsewhere in the fleet, this host caught up with it). Its
/// document is archived beside the chain (`releases/<hex>.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigApplied {
    /// Its version.
    pub version: u64,
    /// `sha256:` of its canonical document.
    pub digest: String,
    /// The release it follows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// `signed` or `unsigned` (development: nobody signed these rules).
    pub mode: String,
    /// The governors' signatures it took effect with.
    pub signatures: Vec<ReleaseSignature>,
    /// Their names.
    pub signers: Vec<String>,
    /// Whether it only narrows authority (and took the lower threshold).
    pub narrowing: bool,
    /// What it changes, in plain words (the first 64 changes).
    pub changes: Vec<String>,
    /// How it came: `start`, `apply`, `file-change`, `signal`, `operator`,
    /// `fleet` (applied through another host or process).
    pub trigger: String,
}

/// `config.refused`: a release — or a hand edit of the files, which is a
/// release nobody signed — was not applied; the release in force stays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigRefused {
    /// The version it would have had.
    pub version: u64,
    /// `sha256:` of its document.
    pub digest: String,
    /// The release that stays in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_force: Option<ReleaseRef>,
    /// Why, in words.
    pub reason: String,
    /// The governors whose signatures verified.
    pub signers: Vec<String>,
    /// What it would have changed (the first 64 changes).
    pub changes: Vec<String>,
    /// How it came (as for `config.applied`).
    pub trigger: String,
}
