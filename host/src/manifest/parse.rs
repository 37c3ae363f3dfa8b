//! Reading a manifest from TOML and checking every field — once: checking
//! yields the typed [`ManifestTerms`] the rest of the host uses.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::capability::GrantTerms;
use crate::manifest::model::{MANIFEST_VERSION, Manifest};
use crate::vocab::{
    Limits, Rate, Version, parse_duration, parse_rate, parse_size, valid_plugin_id, valid_tool_name,
};

/// What a manifest's text means, typed: its version, limits, origins, rate
/// and expiry, read once when the manifest is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestTerms {
    /// The plugin's version.
    pub version: Version,
    /// The limits, with the host's defaults for what the manifest leaves
    /// out.
    pub limits: Limits,
    /// The grants, checked and typed (one field per capability).
    pub grants: GrantTerms,
    /// Calls per period across all agents.
    pub rate: Option<Rate>,
    /// When the manifest expires.
    pub expires: Option<DateTime<Utc>>,
}

/// Why a manifest could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// Not valid TOML, an unknown or duplicate field, or a value of the
    /// wrong type. The message names the line and the field.
    #[error("{0}")]
    Syntax(String),
    /// A manifest format this host does not read.
    #[error("manifest-version {0} is not supported; this host reads version {MANIFEST_VERSION}")]
    Version(u32),
    /// A field whose value is not acceptable.
    #[error("field `{field}`: {why}")]
    Invalid {
        /// The field, e.g. `tools[1].name`.
        field: String,
        /// What is wrong with it.
        why: String,
    },
}

fn invalid(field: impl Into<String>, why: impl Into<String>) -> ManifestError {
    ManifestError::Invalid {
        field: field.into(),
        why: why.into(),
    }
}

impl Manifest {
    /// Parse and check a manifest.
    ///
    /// # Errors
    ///
    /// [`ManifestError`] naming the line or the field at fault.
    pub fn from_toml(text: &str) -> Result<Self, ManifestError> {
        Self::parse(text).map(|(m, _)| m)
    }

    /// Parse and check a manifest, with what its values mean.
    ///
    /// # Errors
    ///
    /// [`ManifestError`] naming the line or the field at fault.
    pub fn parse(text: &str) -> Result<(Self, ManifestTerms), ManifestError> {
        let m: Manifest = toml::from_str(text)
            .map_err(|e| ManifestError::Syntax(e.to_string().trim_end().to_owned()))?;
        let terms = m.validate()?;
        Ok((m, terms))
    }

    /// Parse a draft for `warrant sign`: syntax and fields only; the values
    /// the component supplies (digest, tool descriptions and schemas) may
    /// still be placeholders.
    ///
    /// # Errors
    ///
    /// [`ManifestError::Syntax`].
    pub fn from_toml_draft(text: &str) -> Result<Self, ManifestError> {
        toml::from_str(text).map_err(|e| ManifestError::Syntax(e.to_string().trim_end().to_owned()))
    }

    /// Write the manifest as TOML.
    pub fn to_toml(&self) -> String {
        // Plain data: serialisation to TOML cannot fail.
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Check every field, and read what they mean.
    ///
    /// # Errors
    ///
    /// The first field that is not acceptable.
    pub fn validate(&self) -> Result<ManifestTerms, ManifestError> {
        if self.manifest_version != MANIFEST_VERSION {
            return Err(ManifestError::Version(self.manifest_version));
        }
        let p = &self.plugin;
        if !valid_plugin_id(&p.id) {
            return Err(invalid(
                "plugin.id",
                format!(
                    "{:?} must be 1-32 of a-z, 0-9 and '-', starting with a letter",
                    p.id
                ),
            ));
        }
        let version: Version = p
            .version
            .parse()
            .map_err(|why: crate::vocab::Invalid| invalid("plugin.version", why))?;
        if p.publisher.trim().is_empty() || p.publisher.len() > 64 {
            return Err(invalid("plugin.publisher", "must be 1-64 characters"));
        }
        if p.component.is_empty()
            || p.component.starts_with('/')
            || p.component.split(['/', '\\']).any(|c| c == "..")
        {
            return Err(invalid(
                "plugin.component",
                "must be a path relative to the manifest, without '..'",
            ));
        }
        if let Some(d) = &p.digest {
            parse_digest(d).map_err(|why| invalid("plugin.digest", why))?;
        }
        let mut names = BTreeSet::new();
        for (i, t) in self.tools.iter().enumerate() {
            if !valid_tool_name(&t.name) {
                return Err(invalid(
                    format!("tools[{i}].name"),
                    format!(
                        "{:?} must be 1-30 of a-z, 0-9, '-' and '_', starting with a letter",
                        t.name
                    ),
                ));
            }
            if !names.insert(t.name.as_str()) {
                return Err(invalid(
                    format!("tools[{i}].name"),
                    format!("tool {:?} is listed twice", t.name),
                ));
            }
            if t.description.trim().is_empty() || t.description.len() > 2048 {
                return Err(invalid(
                    format!("tools[{i}].description"),
                    "must be 1-2048 characters",
                ));
            }
            if t.action_owner.trim().is_empty() {
                return Err(invalid(
                    format!("tools[{i}].action-owner"),
                    "names who answers for this tool's actions; it must not be empty",
                ));
            }
            match serde_json::from_str::<serde_json::Value>(&t.input_schema) {
                Ok(v) if v.is_object() => {}
                Ok(_) => {
                    return Err(invalid(
                        format!("tools[{i}].input-schema"),
                        "must be a JSON object",
                    ));
                }
                Err(e) => {
                    return Err(invalid(
                        format!("tools[{i}].input-schema"),
                        format!("is not JSON: {e}"),
                    ));
                }
            }
            if let Some(schema) = &t.output_schema {
                output_validator(schema)
                    .map_err(|why| invalid(format!("tools[{i}].output-schema"), why))?;
            }
        }
        let grants = self.grants.check().map_err(|e| invalid(e.field, e.why))?;
        let limits = self.limits()?;
        let rate = self
            .limits
            .rate
            .as_deref()
            .map(|r| parse_rate(r).map_err(|why| invalid("limits.rate", why)))
            .transpose()?;
        let expires = p
            .expires
            .as_deref()
            .map(|t| {
                DateTime::parse_from_rfc3339(t)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| {
                        invalid(
                            "plugin.expires",
                            format!("{t:?} is not an RFC 3339 time: {e}"),
                        )
                    })
            })
            .transpose()?;
        Ok(ManifestTerms {
            version,
            limits,
            grants,
            rate,
            expires,
        })
    }

    /// The limits, with the host's defaults for what the manifest leaves out.
    fn limits(&self) -> Result<Limits, ManifestError> {
        let mut l = Limits::default();
        let m = &self.limits;
        if let Some(v) = &m.memory {
            l.memory = parse_size(v).map_err(|e| invalid("limits.memory", e.to_string()))?;
        }
        if let Some(v) = &m.timeout {
            l.timeout = parse_duration(v).map_err(|e| invalid("limits.timeout", e.to_string()))?;
        }
        if let Some(v) = &m.output {
            l.output = parse_size(v).map_err(|e| invalid("limits.output", e.to_string()))?;
        }
        if let Some(v) = m.instances {
            if v == 0 {
                return Err(invalid("limits.instances", "must be at least 1"));
            }
            l.max_instances = v;
        }
        l.fuel = m.fuel;
        if l.memory < 1 << 20 {
            return Err(invalid("limits.memory", "must be at least 1MiB"));
        }
        if l.timeout.is_zero() {
            return Err(invalid("limits.timeout", "must be above zero"));
        }
        Ok(l)
    }
}

/// Parse `sha256:<64 hex>`; returns the hex.
pub(crate) fn parse_digest(d: &str) -> Result<&str, String> {
    match d.strip_prefix("sha256:") {
        Some(h)
            if h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            Ok(h)
        }
        _ => Err(format!(
            "{d:?} must be \"sha256:\" and 64 lower-case hex digits"
        )),
    }
}

/// The validator of an output schema (JSON Schema 2020-12 unless it names
/// another dialect), or why it is not one.
///
/// # Errors
///
/// In words, when the text is not a JSON object or not a schema.
pub fn output_validator(schema: &str) -> Result<jsonschema::Validator, String> {
    let v: serde_json::Value =
        serde_json::from_str(schema).map_err(|e| format!("is not JSON: {e}"))?;
    if !v.is_object() {
        return Err("must be a JSON object".into());
    }
    jsonschema::validator_for(&v).map_err(|e| format!("is not a JSON Schema: {e}"))
}
