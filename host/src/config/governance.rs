//! `[governance]`: who may change the rules. Governors sign releases of the
//! rules with their own Ed25519 keys; a release takes effect only with at
//! least `threshold` of their signatures (M of N), fewer
//! (`narrowing-threshold`) when the host computes that it only narrows
//! authority. The section is itself part of the rules: changing it takes
//! the signatures of the governors in force (root rotation, as in TUF).
//!
//! ```toml
//! [governance]
//! threshold = 2
//! narrowing-threshold = 1
//! governors = [
//!   { id = "erin-2026", name = "erin", public-key-file = "governors/erin-2026.pub" },
//!   { id = "frank-2026", name = "frank", public-key = "…" },
//! ]
//! ```

use serde::{Deserialize, Serialize};

use crate::config::sources::Place;

/// `[governance]` as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GovernanceSection {
    /// `signed` (a release takes effect only with the governors'
    /// signatures) or `unsigned` (development: the files are the rules,
    /// every change still recorded). Default: `signed` when governors are
    /// named, else `unsigned`.
    pub mode: Option<String>,
    /// The governors and their Ed25519 public keys.
    #[serde(default)]
    pub governors: Vec<GovernorEntry>,
    /// Distinct governors' signatures a release needs (M of N). Default:
    /// all of them.
    pub threshold: Option<u32>,
    /// Signatures a release needs when it only narrows authority (removes
    /// a tool, an agent, an operator, a role, a key, a plugin) — computed
    /// by the host from the change, never declared by the signer. Default:
    /// `threshold`.
    pub narrowing_threshold: Option<u32>,
}

/// One governor as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GovernorEntry {
    /// The key id (their signatures name it).
    pub id: String,
    /// Who holds it.
    pub name: Option<String>,
    /// The Ed25519 public key, base64.
    pub public_key: Option<String>,
    /// Or a file holding it (`ID.pub` from `warrant keygen`).
    pub public_key_file: Option<String>,
}

/// Whether releases must be signed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GovernanceMode {
    /// Development: the files are the rules; every change is recorded as
    /// an unsigned release.
    #[default]
    Unsigned,
    /// A release takes effect only with the governors' signatures.
    Signed,
}

impl GovernanceMode {
    /// Its name in files and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unsigned => "unsigned",
            Self::Signed => "signed",
        }
    }
}

/// One governor, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Governor {
    /// The key id.
    pub id: String,
    /// Who holds it (the id when not given).
    pub name: String,
    /// The public key.
    pub key: ed25519_dalek::VerifyingKey,
}

/// `[governance]`, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Governance {
    /// Signed or not.
    pub mode: GovernanceMode,
    /// The governors.
    pub governors: Vec<Governor>,
    /// Signatures a release needs.
    pub threshold: u32,
    /// Signatures a release that only narrows authority needs.
    pub narrowing_threshold: u32,
    /// Governors named whose key is not there yet (they cannot sign until
    /// it is), in words.
    pub unusable: Vec<String>,
}

impl Governance {
    /// The governor holding key `id`.
    pub fn governor(&self, id: &str) -> Option<&Governor> {
        self.governors.iter().find(|g| g.id == id)
    }
}

/// Check a `[governance]` section whose key files are read from `files`
/// (relative to `dir`): the governors of a release.
///
/// # Errors
///
/// What is wrong, naming the field.
pub fn parse_governance(
    s: &GovernanceSection,
    dir: &std::path::Path,
    files: &crate::config::RuleFiles,
) -> Result<Governance, String> {
    governance(s, &Place { dir, files }).map_err(|(f, why)| format!("`{f}`: {why}"))
}

/// Check `[governance]`; the error names the field.
pub(super) fn governance(
    s: &GovernanceSection,
    at: &Place<'_>,
) -> Result<Governance, (String, String)> {
    let mut governors: Vec<Governor> = Vec::new();
    let mut unusable = Vec::new();
    for (i, g) in s.governors.iter().enumerate() {
        let field = |f: &str| format!("governance.governors[{i}].{f}");
        if !crate::config::valid_id(&g.id) || governors.iter().any(|x| x.id == g.id) {
            return Err((field("id"), format!("{:?} must be a unique key id", g.id)));
        }
        let text = match (&g.public_key, &g.public_key_file) {
            (Some(k), None) => k.clone(),
            (None, Some(f)) => {
                // Not there yet (`warrant demo` makes the example
                // governors' keys): that governor cannot sign until it is.
                if !at.exists(f) {
                    unusable.push(format!(
                        "governor {}: key {} is not usable yet: {} does not exist",
                        g.name.as_deref().unwrap_or(&g.id),
                        g.id,
                        at.dir.join(f).display()
                    ));
                    continue;
                }
                let path = at
                    .locate(f)
                    .map_err(|why| (field("public-key-file"), why))?;
                // A file the config names (or the release's archived copy).
                std::fs::read_to_string(&path).map_err(|e| {
                    (
                        field("public-key-file"),
                        format!("cannot read {}: {e}", path.display()),
                    )
                })?
            }
            _ => {
                return Err((
                    field("public-key"),
                    "give exactly one of public-key or public-key-file".into(),
                ));
            }
        };
        let key =
            crate::keys::parse_ed25519_public(&text).map_err(|why| (field("public-key"), why.0))?;
        if governors.iter().any(|x| x.key == key) {
            return Err((
                field("public-key"),
                "the same key is named twice: each governor counts once".into(),
            ));
        }
        governors.push(Governor {
            id: g.id.clone(),
            name: g.name.clone().unwrap_or_else(|| g.id.clone()),
            key,
        });
    }
    let n = u32::try_from(s.governors.len()).unwrap_or(u32::MAX);
    let mode = match s.mode.as_deref() {
        None if s.governors.is_empty() => GovernanceMode::Unsigned,
        None | Some("signed") => GovernanceMode::Signed,
        Some("unsigned") => GovernanceMode::Unsigned,
        Some(other) => {
            return Err((
                "governance.mode".into(),
                format!("{other:?}: the mode is `signed` or `unsigned`"),
            ));
        }
    };
    if mode == GovernanceMode::Signed && s.governors.is_empty() {
        return Err((
            "governance.governors".into(),
            "signed releases need at least one governor (or mode = \"unsigned\" on a developer's machine)".into(),
        ));
    }
    let threshold = s.threshold.unwrap_or(n);
    if mode == GovernanceMode::Signed && (threshold == 0 || threshold > n) {
        return Err((
            "governance.threshold".into(),
            format!(
                "{threshold} of {n} governors: the threshold is between 1 and the number of governors"
            ),
        ));
    }
    let narrowing_threshold = s.narrowing_threshold.unwrap_or(threshold);
    if mode == GovernanceMode::Signed
        && (narrowing_threshold == 0 || narrowing_threshold > threshold)
    {
        return Err((
            "governance.narrowing-threshold".into(),
            format!(
                "{narrowing_threshold}: a narrowing release needs between 1 and threshold ({threshold}) signatures"
            ),
        ));
    }
    Ok(Governance {
        mode,
        governors,
        threshold,
        narrowing_threshold,
        unusable,
    })
}
