//! Turning a verified manifest and the operator's plugin entry into the
//! sandbox's [`Capabilities`]: each capability resolves its own grant
//! ([`Capabilities::resolve`]). The operator may place and tighten, never
//! widen; and whatever the manifest asks for must stay within the host's
//! ceilings.

pub use crate::capability::GrantError;
use crate::capability::{Capabilities, Placement};
use crate::config::{HostConfig, PluginEntry, RuleFiles};
use crate::manifest::VerifiedManifest;
use crate::vocab::{Bytes, Limits, Span};

/// Build the capabilities of one plugin.
///
/// # Errors
///
/// [`GrantError`] naming the setting that would widen the manifest's
/// grant, the grant beyond a ceiling, or a secret, credential or limit
/// that cannot be read.
pub(crate) fn capabilities(
    verified: &VerifiedManifest,
    entry: &PluginEntry,
    config: &HostConfig,
) -> Result<Capabilities, GrantError> {
    let pins = match &config.files {
        RuleFiles::Disk => None,
        RuleFiles::Pinned { pins, .. } => Some(pins),
    };
    let at = Placement {
        manifest: &entry.manifest,
        dir: &config.dir,
        state_dir: &config.ceilings.state_dir,
        protected: &config.ceilings.protected,
        pins,
    };
    let limits = tighten(verified.terms().limits, entry).map_err(GrantError::Config)?;
    Capabilities::resolve(
        &verified.manifest().grants,
        &verified.terms().grants,
        &entry.supplies,
        &config.ceilings.set,
        &at,
        limits,
    )
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
