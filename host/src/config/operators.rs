//! The operators of a host config, checked once: names, roles, what each
//! may approve, and their public keys with validity windows.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::config::model::OperatorEntry;
use crate::vocab::Invalid;

/// What an operator may do besides approving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Halt and resume the host.
    Halt,
    /// Quarantine and release agents.
    Quarantine,
    /// Revoke task tokens.
    Revoke,
    /// Issue task tokens.
    Issue,
    /// Disable and enable plugins.
    Disable,
    /// Ask every host to reload its config and trust.
    Reload,
    /// Forget a plugin's version high-water mark.
    ResetVersion,
}

impl Role {
    /// The name in `warrant.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Halt => "halt",
            Self::Quarantine => "quarantine",
            Self::Revoke => "revoke",
            Self::Issue => "issue",
            Self::Disable => "disable",
            Self::Reload => "reload",
            Self::ResetVersion => "reset-version",
        }
    }

    fn parse(s: &str) -> Result<Self, Invalid> {
        Ok(match s {
            "halt" => Self::Halt,
            "quarantine" => Self::Quarantine,
            "revoke" => Self::Revoke,
            "issue" => Self::Issue,
            "disable" => Self::Disable,
            "reload" => Self::Reload,
            "reset-version" => Self::ResetVersion,
            other => {
                return Err(Invalid(format!(
                    "{other:?} is not a role; roles are halt, quarantine, revoke, issue, disable, reload, reset-version (approving is `approves`)"
                )));
            }
        })
    }
}

/// One operator key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorKey {
    /// The key id.
    pub id: String,
    /// The public key.
    pub key: ed25519_dalek::VerifyingKey,
    /// Valid from.
    pub not_before: Option<DateTime<Utc>>,
    /// Valid until.
    pub not_after: Option<DateTime<Utc>>,
    /// Revoked from.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl OperatorKey {
    /// Why the key may not sign at `at`, if it may not.
    pub fn unusable_at(&self, at: DateTime<Utc>) -> Option<String> {
        if let Some(r) = self.revoked_at
            && at >= r
        {
            return Some(format!(
                "key {} is revoked since {}",
                self.id,
                r.to_rfc3339()
            ));
        }
        if let Some(nb) = self.not_before
            && at < nb
        {
            return Some(format!("key {} is valid from {}", self.id, nb.to_rfc3339()));
        }
        if let Some(na) = self.not_after
            && at > na
        {
            return Some(format!("key {} expired at {}", self.id, na.to_rfc3339()));
        }
        None
    }
}

/// An operator's OpenID identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcIdentity {
    /// The issuer.
    pub issuer: String,
    /// The `sub` claim, or
    pub subject: Option<String>,
    /// a verified `email` claim.
    pub email: Option<String>,
}

/// One operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// The name.
    pub name: String,
    /// What they may do.
    pub roles: BTreeSet<Role>,
    /// What they may approve (impact levels, `plugin.tool`).
    pub approves: Vec<String>,
    /// Their keys.
    pub keys: Vec<OperatorKey>,
    /// Their console identity.
    pub oidc: Option<OidcIdentity>,
    /// A non-human identity: never approves.
    pub automation: bool,
}

impl Operator {
    /// Whether they may approve calls of `tool` at `impact`.
    pub fn may_approve(&self, tool: &str, impact: &str) -> bool {
        !self.automation && self.approves.iter().any(|a| a == tool || a == impact)
    }
}

/// Check one operator entry; the error names the field.
pub(super) fn operator(e: &OperatorEntry, dir: &Path) -> Result<Operator, (String, String)> {
    if !crate::config::valid_id(&e.name) {
        return Err((
            "name".into(),
            format!(
                "{:?} must be 1-64 of letters, digits, '.', '_', ':' or '-'",
                e.name
            ),
        ));
    }
    let mut roles = BTreeSet::new();
    for r in &e.roles {
        roles.insert(Role::parse(r).map_err(|why| ("roles".to_string(), why.0))?);
    }
    if e.automation && !e.approves.is_empty() {
        return Err((
            "approves".into(),
            "an automation never approves: a named human does".into(),
        ));
    }
    let time = |v: &Option<String>, f: &str| -> Result<Option<DateTime<Utc>>, (String, String)> {
        v.as_deref()
            .map(|s| {
                DateTime::parse_from_rfc3339(s)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|err| {
                        (
                            format!("keys.{f}"),
                            format!("{s:?} is not an RFC 3339 time: {err}"),
                        )
                    })
            })
            .transpose()
    };
    let mut keys = Vec::new();
    for k in &e.keys {
        let text = match (&k.public_key, &k.public_key_file) {
            (Some(pk), None) => pk.clone(),
            (None, Some(f)) => {
                // A file the operator's config names: ambient authority.
                let path = dir.join(f);
                std::fs::read_to_string(&path).map_err(|err| {
                    (
                        "keys.public-key-file".to_string(),
                        format!(
                            "cannot read {}: {err} (the operator makes it with `warrant keygen --operator {} --id {} --out DIR`; `warrant demo` creates the example operators' keys)",
                            path.display(),
                            e.name,
                            k.id
                        ),
                    )
                })?
            }
            _ => {
                return Err((
                    "keys".into(),
                    format!(
                        "key {} needs exactly one of public-key or public-key-file",
                        k.id
                    ),
                ));
            }
        };
        let key = crate::keys::parse_ed25519_public(&text)
            .map_err(|why| ("keys.public-key".to_string(), why.0))?;
        keys.push(OperatorKey {
            id: k.id.clone(),
            key,
            not_before: time(&k.not_before, "not-before")?,
            not_after: time(&k.not_after, "not-after")?,
            revoked_at: time(&k.revoked_at, "revoked-at")?,
        });
    }
    Ok(Operator {
        name: e.name.clone(),
        roles,
        approves: e.approves.clone(),
        keys,
        oidc: e.oidc.as_ref().map(|o| OidcIdentity {
            issuer: o.issuer.clone(),
            subject: o.subject.clone(),
            email: o.email.clone(),
        }),
        automation: e.automation,
    })
}
