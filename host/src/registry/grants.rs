//! Turning a verified manifest and the operator's plugin entry into the
//! sandbox's [`Capabilities`]. The operator may place and tighten, never
//! widen.

use std::collections::BTreeMap;

use crate::config::{HostConfig, PluginEntry};
use crate::manifest::Manifest;
use crate::sandbox::{
    Access, Bytes, Capabilities, FileGrant, Limits, Secret, Span, parse_duration, parse_size,
};

/// Build the capabilities of one plugin.
///
/// # Errors
///
/// A message naming the setting that would widen the manifest's grant, or
/// a secret or limit that cannot be read.
pub(crate) fn capabilities(
    manifest: &Manifest,
    entry: &PluginEntry,
    config: &HostConfig,
) -> Result<Capabilities, String> {
    let g = &manifest.grants;
    for guest in entry.dirs.keys() {
        if !g.files.iter().any(|f| &f.guest == guest) {
            return Err(format!(
                "dirs names {guest}, which the manifest does not grant"
            ));
        }
    }
    let mut files = Vec::new();
    for f in &g.files {
        let host = config.resolve(entry.dirs.get(&f.guest).unwrap_or(&f.host));
        // A read-write directory (e.g. for case files) is created on first
        // load; a read-only one must exist.
        if f.access == Access::ReadWrite && !host.exists() {
            std::fs::create_dir_all(&host).map_err(|e| {
                format!(
                    "cannot create read-write directory {} for {}: {e}",
                    host.display(),
                    f.guest
                )
            })?;
        }
        files.push(FileGrant {
            host,
            guest: f.guest.clone(),
            access: f.access,
        });
    }
    let mut env = Vec::new();
    for (k, v) in &entry.env {
        if !g.env.contains(k) {
            return Err(format!("env sets {k}, which the manifest does not grant"));
        }
        env.push((k.clone(), v.clone()));
    }
    let mut secrets = BTreeMap::new();
    for name in entry.secrets.keys() {
        if !g.secrets.contains(name) {
            return Err(format!(
                "secrets supplies {name}, which the manifest does not grant"
            ));
        }
    }
    for name in &g.secrets {
        let source = entry.secrets.get(name).ok_or_else(|| {
            format!("the manifest grants secret {name} but the config supplies no value for it (add it under this plugin's `secrets`)")
        })?;
        let value = match (&source.env, &source.file) {
            (Some(var), None) => std::env::var(var)
                .map_err(|_| format!("secret {name}: environment variable {var} is not set"))?,
            (None, Some(file)) => std::fs::read_to_string(config.resolve(file))
                .map_err(|e| format!("secret {name}: cannot read {file}: {e}"))?
                .trim()
                .to_owned(),
            _ => {
                return Err(format!(
                    "secret {name}: give exactly one of `env` or `file`"
                ));
            }
        };
        secrets.insert(name.clone(), Secret::new(value));
    }
    let limits = tighten(manifest.limits().map_err(|e| e.to_string())?, entry)?;
    Ok(Capabilities {
        files,
        http: manifest.http_origins().map_err(|e| e.to_string())?,
        env,
        secrets,
        clock: g.clock,
        random: g.random,
        limits,
    })
}

fn tighten(mut l: Limits, entry: &PluginEntry) -> Result<Limits, String> {
    let o = &entry.limits;
    if let Some(m) = &o.memory {
        let v = parse_size(m).map_err(|e| format!("limits.memory: {e}"))?;
        if v > l.memory {
            return Err(format!(
                "limits.memory {} is above the manifest's {}; the config may only tighten limits",
                Bytes(v),
                Bytes(l.memory)
            ));
        }
        l.memory = v;
    }
    if let Some(t) = &o.timeout {
        let v = parse_duration(t).map_err(|e| format!("limits.timeout: {e}"))?;
        if v > l.timeout {
            return Err(format!(
                "limits.timeout {} is above the manifest's {}; the config may only tighten limits",
                Span(v),
                Span(l.timeout)
            ));
        }
        l.timeout = v;
    }
    if let Some(s) = &o.output {
        let v = parse_size(s).map_err(|e| format!("limits.output: {e}"))?;
        if v > l.output {
            return Err(format!(
                "limits.output {} is above the manifest's {}; the config may only tighten limits",
                Bytes(v),
                Bytes(l.output)
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
