//! The registry: verified plugins, loaded into the sandbox, indexed by tool.

mod grants;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::config::{HostConfig, PluginEntry};
use crate::manifest::{self, ManifestTool, VerifiedManifest, VerifyError, parse_version};
use crate::sandbox::{LoadError, LoadedPlugin, Sandbox};
use crate::state::{StateDb, StateError};
use crate::tool::ToolSpec;

/// Why a plugin was not loaded. Each variant is one check.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The manifest, its signature or its component failed verification.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A newer version of this plugin was loaded before.
    #[error(
        "plugin {plugin}: rollback refused: version {version} is older than {highest}, which this host has already loaded"
    )]
    Rollback {
        /// Plugin id.
        plugin: String,
        /// The version offered.
        version: String,
        /// The highest version loaded before.
        highest: String,
    },
    /// The operator's settings for the plugin do not fit its grants.
    #[error("plugin {plugin}: config refused: {why}")]
    Config {
        /// Plugin id.
        plugin: String,
        /// What is wrong.
        why: String,
    },
    /// The sandbox refused the component.
    #[error("plugin {plugin}: {error}")]
    Load {
        /// Plugin id.
        plugin: String,
        /// The sandbox's reason.
        error: LoadError,
    },
    /// The component reports other tools than the manifest signs.
    #[error("plugin {plugin}: tools differ from the signed manifest: {detail}")]
    ToolsMismatch {
        /// Plugin id.
        plugin: String,
        /// The first difference.
        detail: String,
    },
    /// Two entries load the same plugin id.
    #[error("plugin {plugin}: loaded twice (from {first} and {second})")]
    Duplicate {
        /// Plugin id.
        plugin: String,
        /// The first manifest.
        first: PathBuf,
        /// The second manifest.
        second: PathBuf,
    },
    /// The state database failed.
    #[error(transparent)]
    State(#[from] StateError),
}

/// How plugins are loaded.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Accept unsigned manifests (development only).
    pub insecure: bool,
    /// The time signatures are checked at.
    pub now: DateTime<Utc>,
    /// Check only: do not record the loaded version (for `warrant verify`).
    pub dry_run: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            insecure: false,
            now: Utc::now(),
            dry_run: false,
        }
    }
}

/// One loaded plugin.
#[derive(Debug, Clone)]
pub struct RegisteredPlugin {
    /// The verified manifest it was loaded from.
    pub manifest: VerifiedManifest,
    /// The loaded component.
    pub plugin: LoadedPlugin,
    /// Action owner per tool, after the operator's overrides.
    pub action_owners: BTreeMap<String, String>,
}

impl RegisteredPlugin {
    /// The plugin id.
    pub fn id(&self) -> &str {
        &self.manifest.manifest().plugin.id
    }

    /// The manifest entry of a tool.
    pub fn tool(&self, name: &str) -> Option<&ManifestTool> {
        self.manifest
            .manifest()
            .tools
            .iter()
            .find(|t| t.name == name)
    }
}

/// The loaded plugins and the refusals.
#[derive(Debug, Default)]
pub struct Registry {
    plugins: BTreeMap<String, RegisteredPlugin>,
    refused: Vec<RegistryError>,
}

impl Registry {
    /// Load every enabled plugin of the config. A plugin that is refused is
    /// recorded in [`Registry::refusals`]; the others still load.
    pub async fn load(
        config: &HostConfig,
        sandbox: &Sandbox,
        state: &StateDb,
        opts: LoadOptions,
    ) -> Self {
        let mut reg = Self::default();
        for entry in config.file.plugins.iter().filter(|p| p.enabled) {
            match load_plugin(entry, config, sandbox, state, opts).await {
                Ok(p) => {
                    let id = p.id().to_owned();
                    if let Some(first) = reg.plugins.get(&id) {
                        reg.refused.push(RegistryError::Duplicate {
                            plugin: id,
                            first: first.manifest.path().to_owned(),
                            second: p.manifest.path().to_owned(),
                        });
                    } else {
                        tracing::info!(plugin = %id, signer = ?p.manifest.signer(), "plugin loaded");
                        reg.plugins.insert(id, p);
                    }
                }
                Err(e) => {
                    tracing::warn!("{e}");
                    reg.refused.push(e);
                }
            }
        }
        reg
    }

    /// The loaded plugins, by id.
    pub fn plugins(&self) -> impl Iterator<Item = &RegisteredPlugin> {
        self.plugins.values()
    }

    /// One plugin.
    pub fn get(&self, id: &str) -> Option<&RegisteredPlugin> {
        self.plugins.get(id)
    }

    /// The plugins that were refused, and why.
    pub fn refusals(&self) -> &[RegistryError] {
        &self.refused
    }

    /// Find `plugin.tool`.
    pub fn resolve(&self, qualified: &str) -> Option<(&RegisteredPlugin, &ManifestTool)> {
        let (plugin, tool) = qualified.split_once('.')?;
        let p = self.plugins.get(plugin)?;
        Some((p, p.tool(tool)?))
    }
}

/// Verify and load one plugin entry.
///
/// # Errors
///
/// [`RegistryError`] naming the check that refused it.
pub async fn load_plugin(
    entry: &PluginEntry,
    config: &HostConfig,
    sandbox: &Sandbox,
    state: &StateDb,
    opts: LoadOptions,
) -> Result<RegisteredPlugin, RegistryError> {
    let path = config.resolve(&entry.manifest);
    let verified = verify_entry(&path, config, opts)?;
    let m = verified.manifest();
    let id = m.plugin.id.clone();
    let version = parse_version(&m.plugin.version).map_err(|why| RegistryError::Config {
        plugin: id.clone(),
        why,
    })?;
    if let Some((highest, hv)) = state.highest_version(&id)?
        && version < hv
    {
        return Err(RegistryError::Rollback {
            plugin: id,
            version: m.plugin.version.clone(),
            highest,
        });
    }
    let caps = grants::capabilities(m, entry, config).map_err(|why| RegistryError::Config {
        plugin: id.clone(),
        why,
    })?;
    let plugin = sandbox
        .load(&id, verified.component(), verified.digest_hex(), caps)
        .await
        .map_err(|error| RegistryError::Load {
            plugin: id.clone(),
            error,
        })?;
    compare_tools(&m.tools, plugin.tools()).map_err(|detail| RegistryError::ToolsMismatch {
        plugin: id.clone(),
        detail,
    })?;
    for tool in entry.action_owners.keys() {
        if m.tools.iter().all(|t| &t.name != tool) {
            return Err(RegistryError::Config {
                plugin: id,
                why: format!("action-owners names tool {tool}, which the plugin does not have"),
            });
        }
    }
    let action_owners = m
        .tools
        .iter()
        .map(|t| {
            let owner = entry.action_owners.get(&t.name).unwrap_or(&t.action_owner);
            (t.name.clone(), owner.clone())
        })
        .collect();
    if !opts.insecure && !opts.dry_run {
        state.record_version(&id, &m.plugin.version, version, verified.digest_hex())?;
    }
    Ok(RegisteredPlugin {
        manifest: verified,
        plugin,
        action_owners,
    })
}

/// Verify a manifest file under the config's trust (or accept it unsigned
/// with `insecure`).
///
/// # Errors
///
/// [`VerifyError`] naming the failed check.
pub fn verify_entry(
    path: &std::path::Path,
    config: &HostConfig,
    opts: LoadOptions,
) -> Result<VerifiedManifest, VerifyError> {
    let m = manifest::read_manifest(path)?;
    if opts.insecure {
        manifest::accept_unsigned(m, path)
    } else {
        manifest::verify(m, path, &config.trust, opts.now)
    }
}

/// Compare the signed tools with the tools a component reports.
///
/// # Errors
///
/// The first difference, in words.
pub fn compare_tools(signed: &[ManifestTool], reported: &[ToolSpec]) -> Result<(), String> {
    for r in reported {
        let Some(s) = signed.iter().find(|s| s.name == r.name) else {
            return Err(format!(
                "the component reports tool `{}`, which the manifest does not list",
                r.name
            ));
        };
        if s.description != r.description {
            return Err(format!(
                "tool `{}`: description differs (manifest: {:?}; component: {:?})",
                r.name, s.description, r.description
            ));
        }
        if s.impact != r.impact {
            return Err(format!(
                "tool `{}`: impact differs (manifest: {}; component: {})",
                r.name, s.impact, r.impact
            ));
        }
        if s.input_schema != r.input_schema {
            return Err(format!(
                "tool `{}`: input schema differs from the component's",
                r.name
            ));
        }
    }
    for s in signed {
        if reported.iter().all(|r| r.name != s.name) {
            return Err(format!(
                "the manifest lists tool `{}`, which the component does not report",
                s.name
            ));
        }
    }
    Ok(())
}
