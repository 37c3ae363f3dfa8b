//! Secrets a plugin reads: names the manifest grants, values the operator
//! supplies, delivered through `warrant:plugin/host.secret`.
//!
//! - manifest: `secrets = ["URLHAUS_KEY"]`;
//! - operator: `[ceilings] secrets` (names), `[[plugins]] secrets = {
//!   URLHAUS_KEY = { file = "…" } }` (or `env`); a granted secret without a
//!   value refuses the plugin at load;
//! - sandbox: `host.secret(name)` hands out a granted value and refuses
//!   anything else — a credential's name included: a credential is added
//!   by the host, never read; every value is watched, so an echo is
//!   scrubbed and an output holding one is blocked;
//! - uses: each read, by name only.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::capability::{
    Capabilities, Capability, FieldError, GrantError, Grants, Resolve, Secret, Watch,
    check_name_ceiling, check_names, credentials, names_ceiling,
};
use crate::vocab::safe;

/// Where a secret's value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SecretSource {
    /// An environment variable of the host process.
    pub env: Option<String>,
    /// A file (its contents, trimmed).
    pub file: Option<String>,
}

/// A secret read, by name only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretUse {
    /// The secret's name.
    pub name: String,
    /// Whether it was granted (and so delivered).
    pub granted: bool,
}

/// The secrets capability.
#[derive(Debug)]
pub struct Secrets;

impl Capability for Secrets {
    const NAME: &'static str = "secrets";
    const GRANT_DOC: &'static str = "Secret names; the operator supplies the values.";
    const CEILING_DOC: &'static str = "Secret names that may be granted.";
    const SUPPLY_DOC: &'static str = "Where the values of granted secrets come from, by name.";
    const ALWAYS_WRITTEN: bool = true;
    type Grant = Vec<String>;
    type Terms = ();

    fn check(grant: &Vec<String>, _: &Grants) -> Result<(), FieldError> {
        check_names(grant)
    }

    fn is_empty(grant: &Vec<String>) -> bool {
        grant.is_empty()
    }

    fn review(grant: &Vec<String>, (): &(), out: &mut Vec<String>) {
        out.push(if grant.is_empty() {
            "can read no secrets".into()
        } else {
            format!(
                "may read secrets {} through the host (each read is audited by name; values are never logged)",
                safe(&grant.join(", "))
            )
        });
    }

    const CEILING: bool = true;
    type Ceiling = Option<Vec<String>>;

    fn ceiling(written: Option<&[String]>, _: &Path) -> Result<Self::Ceiling, String> {
        names_ceiling(written)
    }

    const SUPPLY: Option<&'static str> = Some("secrets");
    type Supply = BTreeMap<String, SecretSource>;

    fn supply_is_empty(supply: &Self::Supply) -> bool {
        supply.is_empty()
    }

    type Granted = BTreeMap<String, Secret>;

    fn resolve(r: Resolve<'_, Self>) -> Result<BTreeMap<String, Secret>, GrantError> {
        let cfg = GrantError::Config;
        for (i, n) in r.grant.iter().enumerate() {
            check_name_ceiling("secret", n, r.ceiling.as_ref()).map_err(|why| {
                GrantError::Ceiling {
                    grant: format!("grants.secrets[{i}] ({n})"),
                    why,
                }
            })?;
        }
        for name in r.supply.keys() {
            if !r.grant.contains(name) {
                return Err(cfg(format!(
                    "secrets supplies {name}, which the manifest does not grant"
                )));
            }
        }
        let mut secrets = BTreeMap::new();
        for name in r.grant {
            let source = r.supply.get(name).ok_or_else(|| {
                cfg(format!("the manifest grants secret {name} but the config supplies no value for it (add it under this plugin's `secrets`)"))
            })?;
            let value = match (&source.env, &source.file) {
                (Some(var), None) => std::env::var(var).map_err(|_| {
                    cfg(format!("secret {name}: environment variable {var} is not set"))
                })?,
                // A file the operator's config names: ambient authority.
                (None, Some(file)) => std::fs::read_to_string(r.at.resolve(file))
                    .map_err(|e| cfg(format!("secret {name}: cannot read {file}: {e}")))?
                    .trim()
                    .to_owned(),
                _ => {
                    return Err(cfg(format!(
                        "secret {name}: give exactly one of `env` or `file`"
                    )));
                }
            };
            secrets.insert(name.clone(), Secret::new(value));
        }
        Ok(secrets)
    }

    fn requested(_: &Vec<String>, (): &(), _: &Path) -> BTreeMap<String, Secret> {
        BTreeMap::new()
    }

    fn for_review(_: &BTreeMap<String, Secret>) -> BTreeMap<String, Secret> {
        BTreeMap::new()
    }

    fn describe_import(_: &str, _: Option<&BTreeMap<String, Secret>>) -> String {
        String::new()
    }

    fn watch(granted: &BTreeMap<String, Secret>, w: &mut Watch) {
        for (name, value) in granted {
            w.fixed(name, value);
        }
    }

    type Use = SecretUse;
    const USE_KIND: &'static str = "secret";

    fn show(u: &SecretUse) -> String {
        if u.granted {
            format!("secret {} (delivered)", u.name)
        } else {
            format!("REFUSED secret {}: not a secret granted to this plugin", u.name)
        }
    }

    fn matches(u: &SecretUse, what: &str, allowed: bool) -> bool {
        u.granted == allowed && (what.is_empty() || u.name == what)
    }
}

/// `host.secret(name)`: the value of a granted secret, or why not; and the
/// use to record.
pub fn read(caps: &Capabilities, name: &str) -> (Result<String, String>, SecretUse) {
    let name: String = name.chars().take(128).collect();
    let answer = match (
        credentials::refuse_read(&caps.credentials, &name),
        caps.secrets.get(&name),
    ) {
        (Some(why), _) => Err(why),
        (None, Some(value)) => Ok(value.expose().to_owned()),
        (None, None) => Err(format!("secret `{name}` is not granted to this plugin")),
    };
    let granted = answer.is_ok();
    (answer, SecretUse { name, granted })
}
