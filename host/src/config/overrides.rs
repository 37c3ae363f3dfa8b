//! `[plugins.limits]`: limits an operator tightens for one plugin.

use serde::Deserialize;

/// Limits an operator may tighten, read as typed values.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LimitOverrides {
    /// Memory, e.g. `"16MiB"`.
    #[serde(default, deserialize_with = "size")]
    pub memory: Option<u64>,
    /// Timeout, e.g. `"1s"`.
    #[serde(default, deserialize_with = "duration")]
    pub timeout: Option<std::time::Duration>,
    /// Output, e.g. `"64KiB"`.
    #[serde(default, deserialize_with = "size")]
    pub output: Option<u64>,
    /// Concurrent instances.
    pub instances: Option<u32>,
}

fn size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let text = String::deserialize(d)?;
    crate::vocab::parse_size(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn duration<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<std::time::Duration>, D::Error> {
    let text = String::deserialize(d)?;
    crate::vocab::parse_duration(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}
