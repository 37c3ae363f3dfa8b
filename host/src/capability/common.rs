//! What every capability unit shares: the error of a grant field, the
//! error of resolving a grant, where a plugin is placed, and what a call's
//! store gives the units that link into it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::capability::{Capabilities, Capability, CapabilityUse};

/// A grant field that is not acceptable: the field below `grants.NAME`
/// (e.g. `[0].guest`, or empty for the grant as a whole) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field, relative to the grant.
    pub field: String,
    /// Why.
    pub why: String,
}

impl FieldError {
    /// `field` is not acceptable because of `why`.
    pub fn new(field: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            why: why.into(),
        }
    }
}

/// Why a plugin's grants cannot be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// The operator's entry would widen the manifest's grant, or is
    /// incomplete.
    #[error("{0}")]
    Config(String),
    /// A grant exceeds the host's ceiling.
    #[error("grant {grant} exceeds the host's ceiling: {why}")]
    Ceiling {
        /// The grant, as the manifest names it.
        grant: String,
        /// Why.
        why: crate::vocab::Invalid,
    },
}

/// Where a plugin is placed: what resolving its grants needs of the
/// operator's config.
#[derive(Debug, Clone, Copy)]
pub struct Placement<'a> {
    /// The entry's manifest path as written (the key of its pins).
    pub manifest: &'a str,
    /// The config's directory: relative paths are resolved against it.
    pub dir: &'a Path,
    /// The host's own state directory, never grantable.
    pub state_dir: &'a Path,
    /// What the host keeps in or beside it (keys, the audit chain, the
    /// compiled cache), which no grant may contain or reach into.
    pub protected: &'a [PathBuf],
    /// Under a release of the rules: what it pins (`secret:…` digests of
    /// values never archived). `None` when the files are the rules.
    pub pins: Option<&'a BTreeMap<String, String>>,
}

impl Placement<'_> {
    /// `p` from the config, resolved against its directory.
    pub fn resolve(&self, p: &str) -> PathBuf {
        self.dir.join(p)
    }
}

/// What one unit's `resolve` is given.
#[derive(Debug)]
pub struct Resolve<'a, C: Capability + ?Sized> {
    /// The manifest's grant.
    pub grant: &'a C::Grant,
    /// What it means.
    pub terms: &'a C::Terms,
    /// What the operator supplies for it.
    pub supply: &'a C::Supply,
    /// The host's ceiling.
    pub ceiling: &'a C::Ceiling,
    /// Where the plugin is placed.
    pub at: &'a Placement<'a>,
}

/// What a call's store state offers the units that link into it: WASI
/// and WASI HTTP views, the plugin's capabilities, and the record of its
/// uses. The sandbox's call state implements it.
pub trait CallView: wasmtime_wasi::WasiView + wasmtime_wasi_http::WasiHttpView + 'static {
    /// What the plugin is granted.
    fn capabilities(&self) -> &Capabilities;
    /// Record one use.
    fn record(&mut self, u: CapabilityUse);
}

/// The use of a capability that records none: no value exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoUse {}

/// A name in the grants' vocabulary: 1-64 of `A-Z`, `0-9` and `_`, not
/// starting with a digit (environment variables, secrets, credentials).
pub fn valid_var_name(n: &str) -> bool {
    (1..=64).contains(&n.len())
        && !n.starts_with(|c: char| c.is_ascii_digit())
        && n.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Check a list of names (env, secrets): each valid, none twice.
///
/// # Errors
///
/// The index at fault and why.
pub fn check_names(list: &[String]) -> Result<(), FieldError> {
    let mut seen = std::collections::BTreeSet::new();
    for (i, n) in list.iter().enumerate() {
        if !valid_var_name(n) {
            return Err(FieldError::new(
                format!("[{i}]"),
                format!("{n:?} must be 1-64 of A-Z, 0-9 and '_', not starting with a digit"),
            ));
        }
        if !seen.insert(n) {
            return Err(FieldError::new(
                format!("[{i}]"),
                format!("{n:?} is listed twice"),
            ));
        }
    }
    Ok(())
}

/// Whether `name` is within a ceiling of names (`None`: any).
///
/// # Errors
///
/// Why not, in words.
pub fn check_name_ceiling(
    kind: &str,
    name: &str,
    allowed: Option<&Vec<String>>,
) -> Result<(), crate::vocab::Invalid> {
    match allowed {
        Some(allowed) if !allowed.iter().any(|n| n == name) => Err(crate::vocab::Invalid(format!(
            "{kind} {name} is not one the ceiling allows ({})",
            if allowed.is_empty() {
                "none".to_owned()
            } else {
                allowed.join(", ")
            }
        ))),
        _ => Ok(()),
    }
}

/// A ceiling of names as written (`None`: any).
///
/// # Errors
///
/// Never; the signature matches [`Capability::ceiling`].
pub fn names_ceiling(written: Option<&[String]>) -> Result<Option<Vec<String>>, String> {
    Ok(written.map(<[String]>::to_vec))
}
