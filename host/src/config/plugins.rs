//! `[[plugins]]`: a plugin to load, with what the operator supplies for its
//! grants (environment values, secret sources, directories) and the limits
//! it tightens.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `[[plugins]]`
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PluginEntry {
    /// The manifest file, relative to the config file.
    pub manifest: String,
    /// Load it. Default true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Values for the environment variables the manifest grants.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Where the values of granted secrets come from.
    #[serde(default)]
    pub secrets: BTreeMap<String, SecretSource>,
    /// Host directories for granted guest paths, overriding the manifest's.
    #[serde(default)]
    pub dirs: BTreeMap<String, String>,
    /// Tighter limits than the manifest's (never looser).
    #[serde(default)]
    pub limits: LimitOverrides,
    /// Action owners overriding the manifest's, by tool name.
    #[serde(default)]
    pub action_owners: BTreeMap<String, String>,
    /// Name its tools `plugin__tool` in MCP (default), or by their own
    /// names (`false`); two such plugins may not share a name.
    #[serde(default = "yes")]
    pub mcp_prefix: bool,
}

fn yes() -> bool {
    true
}

/// Where a secret's value comes from.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SecretSource {
    /// An environment variable of the host process.
    pub env: Option<String>,
    /// A file (its contents, trimmed).
    pub file: Option<String>,
}

/// Limits an operator may tighten, read as typed values.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LimitOverrides {
    /// Memory, e.g. `"16MiB"`.
    #[serde(default, deserialize_with = "size", serialize_with = "size_text")]
    #[schemars(with = "Option<String>")]
    pub memory: Option<u64>,
    /// Timeout, e.g. `"1s"`.
    #[serde(
        default,
        deserialize_with = "duration",
        serialize_with = "duration_text"
    )]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<std::time::Duration>,
    /// Output, e.g. `"64KiB"`.
    #[serde(default, deserialize_with = "size", serialize_with = "size_text")]
    #[schemars(with = "Option<String>")]
    pub output: Option<u64>,
    /// Concurrent instances.
    pub instances: Option<u32>,
}

fn size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    // A release's JSON writes an absent limit as null.
    Option::<String>::deserialize(d)?
        .map(|text| crate::vocab::parse_size(&text).map_err(serde::de::Error::custom))
        .transpose()
}

// The written forms the parsers above read back: bytes and milliseconds.
fn size_text<S: serde::Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(n) => s.serialize_some(&format!("{n}B")),
        None => s.serialize_none(),
    }
}

fn duration_text<S: serde::Serializer>(
    v: &Option<std::time::Duration>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(d) => s.serialize_some(&format!("{}ms", d.as_millis())),
        None => s.serialize_none(),
    }
}

fn duration<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<std::time::Duration>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|text| crate::vocab::parse_duration(&text).map_err(serde::de::Error::custom))
        .transpose()
}
