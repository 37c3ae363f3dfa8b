//! The operators of a host config, checked once: names, roles, what each
//! may approve, and their public keys with validity windows.

use crate::config::sources::Place;
use std::collections::BTreeSet;

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
    /// Keys named in the config that cannot be used (their file is
    /// missing), in words.
    pub unusable: Vec<String>,
}

impl Operator {
    /// Whether they may approve calls of `tool` at `impact`.
    pub fn may_approve(&self, tool: &str, impact: &str) -> bool {
        !self.automation && self.approves.iter().any(|a| a == tool || a == impact)
    }
}

/// Check one operator entry; the error names the field.
pub(super) fn operator(e: &OperatorEntry, at: &Place<'_>) -> Result<Operator, (String, String)> {
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
    let mut unusable = Vec::new();
    for k in &e.keys {
        let text = match (&k.public_key, &k.public_key_file) {
            (Some(pk), None) => pk.clone(),
            (None, Some(f)) => {
                // A file the operator's config names (or the release's
                // archived copy of it): ambient authority.
                if !at.exists(f) {
                    let path = at.dir.join(f);
                    // Not an error: the operator cannot act with this key
                    // until it exists (the example config's keys are made
                    // by `warrant demo`), and the host says so at start.
                    unusable.push(format!(
                        "operator {}: key {} is not usable yet: {} does not exist (the operator makes it with `warrant keygen --operator {} --id {} --out DIR`; `warrant demo` creates the example operators' keys)",
                        e.name,
                        k.id,
                        path.display(),
                        e.name,
                        k.id
                    ));
                    continue;
                }
                let path = at
                    .locate(f)
                    .map_err(|why| ("keys.public-key-file".to_string(), why))?;
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
        unusable,
    })
}

/// Every `[[operators]]` entry of `file`, checked; the error names the
/// field.
pub(super) fn operators(
    file: &crate::config::ConfigFile,
    at: &Place<'_>,
) -> Result<Vec<Operator>, (String, String)> {
    let mut out: Vec<Operator> = Vec::new();
    for (i, o) in file.operators.iter().enumerate() {
        let op = operator(o, at).map_err(|(f, why)| (format!("operators[{i}].{f}"), why))?;
        if out.iter().any(|x| x.name == op.name) {
            return Err((
                format!("operators[{i}].name"),
                format!("operator {} is defined twice", op.name),
            ));
        }
        for k in &op.keys {
            if out.iter().flat_map(|x| &x.keys).any(|x| x.id == k.id) {
                return Err((
                    format!("operators[{i}].keys"),
                    format!("key id {} belongs to another operator too", k.id),
                ));
            }
        }
        out.push(op);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::HostConfig;

    const KEY: &str = "t79dpAGyJwaXa/afok7kht6iriWj49I/4mH+Sm6ccRc=";

    fn load(operators: &str) -> Result<HostConfig, String> {
        HostConfig::from_toml(operators, Path::new("/tmp/warrant.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn operators_with_roles_keys_and_approvals_load() {
        let c = load(&format!(
            "[[operators]]\nname = \"carol\"\nroles = [\"halt\", \"issue\"]\napproves = [\"high\", \"case-note.append\"]\nkeys = [{{ id = \"c1\", public-key = \"{KEY}\", not-after = \"2030-01-01T00:00:00Z\" }}]\noidc = {{ issuer = \"https://id.example\", email = \"carol@soc.example\" }}\n\n[[operators]]\nname = \"soar\"\nautomation = true\nroles = [\"quarantine\"]\n"
        ))
        .unwrap();
        let carol = c.operator("carol").unwrap();
        assert!(carol.roles.contains(&super::Role::Halt) && carol.may_approve("x.y", "high"));
        assert!(carol.may_approve("case-note.append", "write"));
        assert!(!carol.may_approve("x.y", "write"));
        assert_eq!(c.operator_key("c1").unwrap().0.name, "carol");
        assert!(!c.operator("soar").unwrap().may_approve("x.y", "high"));
        assert_eq!(
            c.approvers("x.y", crate::vocab::Impact::High),
            vec!["carol"]
        );
    }

    #[test]
    fn bad_operator_entries_are_refused_naming_the_field() {
        for (toml, says) in [
            (
                "[[operators]]\nname = \"a\"\nroles = [\"approve\"]\n",
                "operators[0].roles",
            ),
            (
                "[[operators]]\nname = \"bot\"\nautomation = true\napproves = [\"high\"]\n",
                "an automation never approves",
            ),
            (
                &format!(
                    "[[operators]]\nname = \"a\"\nkeys = [{{ id = \"k\", public-key = \"{KEY}\" }}]\n[[operators]]\nname = \"b\"\nkeys = [{{ id = \"k\", public-key = \"{KEY}\" }}]\n"
                ),
                "belongs to another operator",
            ),
            (
                "[[operators]]\nname = \"a\"\n[[operators]]\nname = \"a\"\n",
                "defined twice",
            ),
            (
                "[[operators]]\nname = \"a\"\nkeys = [{ id = \"k\" }]\n",
                "exactly one of public-key",
            ),
            (
                &format!(
                    "[[operators]]\nname = \"a\"\nkeys = [{{ id = \"k\", public-key = \"{KEY}\", revoked-at = \"yesterday\" }}]\n"
                ),
                "keys.revoked-at",
            ),
            (
                "[approvals]\nrequired = { high = 0 }\n",
                "approvals.required.high",
            ),
            (
                "[approvals]\nrequired = { everything = 2 }\n",
                "approvals.required.everything",
            ),
        ] {
            let e = load(toml).unwrap_err();
            assert!(e.contains(says), "{toml}: {e}");
        }
    }

    #[test]
    fn a_missing_key_file_leaves_the_key_unusable_and_says_so() {
        let c = load("[[operators]]\nname = \"a\"\nkeys = [{ id = \"k\", public-key-file = \"/nonexistent/k.pub\" }]\n").unwrap();
        assert!(c.operator_key("k").is_none());
        let w = c.warnings();
        assert!(
            w.len() == 1 && w[0].contains("warrant keygen --operator a"),
            "{w:?}"
        );
    }

    #[test]
    fn a_key_is_usable_only_inside_its_window_and_before_revocation() {
        let c = load(&format!(
            "[[operators]]\nname = \"a\"\nkeys = [{{ id = \"k\", public-key = \"{KEY}\", not-before = \"2026-01-01T00:00:00Z\", not-after = \"2027-01-01T00:00:00Z\", revoked-at = \"2026-06-01T00:00:00Z\" }}]\n"
        ))
        .unwrap();
        let k = c.operator_key("k").unwrap().1;
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .with_timezone(&chrono::Utc)
        };
        assert!(k.unusable_at(at("2026-03-01T00:00:00Z")).is_none());
        assert!(
            k.unusable_at(at("2025-12-31T00:00:00Z"))
                .unwrap()
                .contains("valid from")
        );
        assert!(
            k.unusable_at(at("2026-06-01T00:00:00Z"))
                .unwrap()
                .contains("revoked since")
        );
    }
}
