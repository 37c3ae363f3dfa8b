//! Turning a verified manifest and the operator's plugin entry into the
//! sandbox's [`Capabilities`]. The operator may place and tighten, never
//! widen; and whatever the manifest asks for must stay within the host's
//! ceilings.

use std::collections::BTreeMap;

use crate::config::{HostConfig, PluginEntry};
use crate::manifest::VerifiedManifest;
use crate::sandbox::{Capabilities, FileGrant, Secret};
use crate::vocab::{Access, Bytes, Limits, Span};

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

/// Build the capabilities of one plugin.
///
/// # Errors
///
/// [`GrantError`] naming the setting that would widen the manifest's
/// grant, the grant beyond a ceiling, or a secret or limit that cannot be
/// read.
pub(crate) fn capabilities(
    verified: &VerifiedManifest,
    entry: &PluginEntry,
    config: &HostConfig,
) -> Result<Capabilities, GrantError> {
    let manifest = verified.manifest();
    let g = &manifest.grants;
    let cfg = |s: String| GrantError::Config(s);
    let ceil = &config.ceilings;
    for guest in entry.dirs.keys() {
        if !g.files.iter().any(|f| &f.guest == guest) {
            return Err(cfg(format!(
                "dirs names {guest}, which the manifest does not grant"
            )));
        }
    }
    let mut files = Vec::new();
    for (i, f) in g.files.iter().enumerate() {
        let host = config.resolve(entry.dirs.get(&f.guest).unwrap_or(&f.host));
        ceil.check_dir(&host).map_err(|why| GrantError::Ceiling {
            grant: format!("grants.files[{i}] ({} as {})", f.host, f.guest),
            why,
        })?;
        // A read-write directory (e.g. for case files) is created on first
        // load; a read-only one must exist.
        if f.access == Access::ReadWrite && !host.exists() {
            crate::privfs::create_private_dir(&host).map_err(|e| {
                cfg(format!(
                    "cannot create read-write directory {} for {}: {e}",
                    host.display(),
                    f.guest
                ))
            })?;
        }
        files.push(FileGrant {
            host,
            guest: f.guest.clone(),
            access: f.access,
        });
    }
    for (i, o) in verified.terms().http.iter().enumerate() {
        ceil.check_http(o).map_err(|why| GrantError::Ceiling {
            grant: format!("grants.http[{i}] ({})", g.http[i]),
            why,
        })?;
    }
    for (i, n) in g.env.iter().enumerate() {
        ceil.check_name("environment variable", n)
            .map_err(|why| GrantError::Ceiling {
                grant: format!("grants.env[{i}] ({n})"),
                why,
            })?;
    }
    for (i, n) in g.secrets.iter().enumerate() {
        ceil.check_name("secret", n)
            .map_err(|why| GrantError::Ceiling {
                grant: format!("grants.secrets[{i}] ({n})"),
                why,
            })?;
    }
    let mut env = Vec::new();
    for (k, v) in &entry.env {
        if !g.env.contains(k) {
            return Err(cfg(format!(
                "env sets {k}, which the manifest does not grant"
            )));
        }
        env.push((k.clone(), v.clone()));
    }
    let mut secrets = BTreeMap::new();
    for name in entry.secrets.keys() {
        if !g.secrets.contains(name) {
            return Err(cfg(format!(
                "secrets supplies {name}, which the manifest does not grant"
            )));
        }
    }
    for name in &g.secrets {
        let source = entry.secrets.get(name).ok_or_else(|| {
            cfg(format!("the manifest grants secret {name} but the config supplies no value for it (add it under this plugin's `secrets`)"))
        })?;
        let value = match (&source.env, &source.file) {
            (Some(var), None) => std::env::var(var).map_err(|_| {
                cfg(format!(
                    "secret {name}: environment variable {var} is not set"
                ))
            })?,
            // A file the operator's config names: ambient authority.
            (None, Some(file)) => std::fs::read_to_string(config.resolve(file))
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
    let limits = tighten(verified.terms().limits, entry).map_err(cfg)?;
    Ok(Capabilities {
        files,
        http: verified.terms().http.clone(),
        env,
        secrets,
        clock: g.clock,
        random: g.random,
        limits,
        http_stub: None,
    })
}

fn tighten(mut l: Limits, entry: &PluginEntry) -> Result<Limits, String> {
    let o = &entry.limits;
    let above = |what: &str, v: String, m: String| {
        format!("limits.{what} {v} is above the manifest's {m}; the config may only tighten limits")
    };
    if let Some(v) = o.memory {
        if v > l.memory {
            return Err(above(
                "memory",
                Bytes(v).to_string(),
                Bytes(l.memory).to_string(),
            ));
        }
        l.memory = v;
    }
    if let Some(v) = o.timeout {
        if v > l.timeout {
            return Err(above(
                "timeout",
                Span(v).to_string(),
                Span(l.timeout).to_string(),
            ));
        }
        l.timeout = v;
    }
    if let Some(v) = o.output {
        if v > l.output {
            return Err(above(
                "output",
                Bytes(v).to_string(),
                Bytes(l.output).to_string(),
            ));
        }
        l.output = v;
    }
    if let Some(n) = o.instances {
        if n == 0 || n > l.max_instances {
            return Err(format!(
                "limits.instances {n} must be between 1 and the manifest's {}",
                l.max_instances
            ));
        }
        l.max_instances = n;
    }
    Ok(l)
}
