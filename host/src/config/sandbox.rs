//! `[sandbox]`: how the host's sandbox is set up.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::vocab::parse_size;

/// `[sandbox]`
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SandboxSection {
    /// Meter fuel so manifests may set CPU budgets. Default off.
    #[serde(default)]
    pub fuel: bool,
    /// Most memory any plugin may have. Default `1GiB`.
    pub max_memory: Option<String>,
    /// Instances alive at once across plugins. Default 512.
    pub max_instances: Option<u32>,
    /// The most core instances one instantiation of a plugin may create; a
    /// component above it is refused at load. Default 100 (a Rust
    /// component creates a handful, a Python one about fifteen).
    pub max_core_instances: Option<u32>,
    /// Where compiled components are cached, relative to the config file.
    /// Default `cache` in the state directory.
    pub cache_dir: Option<String>,
}

/// The sandbox settings of a host, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxSettings {
    /// Where compiled components are cached.
    pub cache_dir: PathBuf,
    /// Meter fuel so manifests may set CPU budgets.
    pub fuel: bool,
    /// The most memory any plugin may have, in bytes (`None`: the
    /// sandbox's default).
    pub max_memory: Option<u64>,
    /// Instances alive at once across plugins (`None`: the default).
    pub max_instances: Option<u32>,
    /// Core instances one instantiation may create (`None`: the default).
    pub max_core_instances: Option<u32>,
}

impl SandboxSettings {
    /// Read `[sandbox]`; paths are relative to `dir`, the cache defaults to
    /// `cache` in `state_dir`.
    pub(crate) fn read(
        s: &SandboxSection,
        dir: &Path,
        state_dir: &Path,
    ) -> Result<Self, (String, String)> {
        if s.max_core_instances == Some(0) {
            return Err((
                "sandbox.max-core-instances".into(),
                "must be at least 1".into(),
            ));
        }
        Ok(Self {
            cache_dir: match &s.cache_dir {
                Some(d) => dir.join(d),
                None => state_dir.join("cache"),
            },
            fuel: s.fuel,
            max_memory: s
                .max_memory
                .as_deref()
                .map(|m| parse_size(m).map_err(|e| ("sandbox.max-memory".into(), e.to_string())))
                .transpose()?,
            max_instances: s.max_instances,
            max_core_instances: s.max_core_instances,
        })
    }
}
