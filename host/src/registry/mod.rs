//! The registry: verified plugins, loaded into the sandbox, indexed by tool.
//!
//! A plugin is loaded only when its manifest verifies (signature under a
//! trusted, valid key; its own expiry; the component's digest), it is no
//! rollback, its grants fit the operator's entry and the host's ceilings,
//! the sandbox accepts its imports, and it reports exactly the signed
//! tools.

mod grants;
mod load;
mod view;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::manifest::{ManifestTool, VerifiedManifest, VerifyError};
use crate::sandbox::{LoadError, LoadedPlugin};
use crate::state::StateError;
use crate::vocab::{Invalid, ToolSpec};

pub use grants::GrantError;
pub use load::{Refused, load_plugin, verify_entry};
pub use view::{PolicyPlugin, PolicyTool, PolicyView};

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
    /// The same version number was loaded before with other contents.
    #[error(
        "plugin {plugin}: version {version} was loaded before with another {what}; a changed plugin needs a new version number"
    )]
    VersionReused {
        /// Plugin id.
        plugin: String,
        /// The version.
        version: String,
        /// `manifest` or `component`.
        what: &'static str,
    },
    /// The operator's settings for the plugin do not fit its grants, or its
    /// grants exceed the host's ceilings.
    #[error("plugin {plugin}: config refused: {error}")]
    Config {
        /// Plugin id.
        plugin: String,
        /// What is wrong.
        error: GrantError,
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
    /// The operator's entry names a tool the plugin does not have.
    #[error(
        "plugin {plugin}: config refused: action-owners names tool {tool}, which the plugin does not have"
    )]
    UnknownOwnedTool {
        /// Plugin id.
        plugin: String,
        /// The tool.
        tool: String,
    },
    /// Two plugins would list a tool under the same bare MCP name.
    #[error(
        "plugin {plugin}: tool {tool} would go by the same MCP name as {other}'s (mcp-prefix = false on both)"
    )]
    NameClash {
        /// Plugin id.
        plugin: String,
        /// The tool.
        tool: String,
        /// The plugin that has the name.
        other: String,
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

impl RegistryError {
    /// The check that refused, for the audit chain.
    pub fn check(&self) -> &'static str {
        match self {
            Self::Verify(VerifyError::Signature { .. }) => "signature",
            Self::Verify(VerifyError::Expired { .. }) => "expiry",
            Self::Verify(VerifyError::DigestMismatch { .. } | VerifyError::NoDigest { .. }) => {
                "digest"
            }
            Self::Verify(_) => "manifest",
            Self::Rollback { .. } | Self::VersionReused { .. } => "rollback",
            Self::Config {
                error: GrantError::Ceiling { .. },
                ..
            } => "ceiling",
            Self::Config { .. } | Self::UnknownOwnedTool { .. } => "config",
            Self::Load { .. } => "sandbox",
            Self::ToolsMismatch { .. } => "tools",
            Self::Duplicate { .. } | Self::NameClash { .. } => "duplicate",
            Self::State(_) => "state",
        }
    }
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
    /// SHA-256 of each signed tool definition, by tool name.
    pub tool_digests: BTreeMap<String, String>,
    /// Its tools go by their own names in MCP (no `plugin__` prefix).
    pub bare_names: bool,
    /// The checks of the signed output schemas, by tool name.
    pub outputs: BTreeMap<String, std::sync::Arc<jsonschema::Validator>>,
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
    refused: Vec<Refused>,
    /// Manifests of entries the config lists but disables, read at load so
    /// that policies may still name their tools.
    disabled: Vec<(crate::manifest::Manifest, crate::manifest::ManifestTerms)>,
}

impl Registry {
    /// Load every enabled plugin of the config. A plugin that is refused is
    /// recorded in [`Registry::refusals`]; the others still load.
    pub async fn load(
        config: &crate::config::HostConfig,
        sandbox: &crate::sandbox::Sandbox,
        state: &dyn crate::state::SharedState,
        opts: LoadOptions,
    ) -> Self {
        let mut reg = Self::default();
        for entry in config.file.plugins.iter().filter(|p| !p.enabled) {
            if let Ok(m) = config
                .locate(&entry.manifest)
                .map_err(|why| crate::manifest::VerifyError::Read {
                    path: config.resolve(&entry.manifest),
                    why,
                })
                .and_then(|read| {
                    crate::manifest::load_manifest_as(&read, &config.resolve(&entry.manifest))
                })
            {
                reg.disabled.push(m);
            }
        }
        for entry in config.file.plugins.iter().filter(|p| p.enabled) {
            match load::load_entry(entry, config, sandbox, state, opts).await {
                Ok(p) => {
                    let id = p.id().to_owned();
                    if let Some(first) = reg.plugins.get(&id) {
                        let error = RegistryError::Duplicate {
                            plugin: id,
                            first: first.manifest.path().to_owned(),
                            second: p.manifest.path().to_owned(),
                        };
                        reg.refused.push(Refused::of_loaded(&p, error));
                    } else if let Some(error) = reg.name_clash(&p) {
                        reg.refused.push(Refused::of_loaded(&p, error));
                    } else {
                        tracing::info!(plugin = %id, signer = ?p.manifest.signer(), "plugin loaded");
                        reg.plugins.insert(id, p);
                    }
                }
                Err(refused) => {
                    tracing::warn!("{}", refused.error);
                    reg.refused.push(*refused);
                }
            }
        }
        reg
    }

    /// A bare MCP name of `p` that a loaded plugin has already (or one
    /// that reads as `plugin__tool`).
    fn name_clash(&self, p: &RegisteredPlugin) -> Option<RegistryError> {
        if !p.bare_names {
            return None;
        }
        for t in &p.manifest.manifest().tools {
            let other = self
                .plugins
                .values()
                .find(|o| o.bare_names && o.tool(&t.name).is_some());
            if let Some(o) = other {
                return Some(RegistryError::NameClash {
                    plugin: p.id().to_owned(),
                    tool: t.name.clone(),
                    other: o.id().to_owned(),
                });
            }
            if t.name.contains("__") {
                return Some(RegistryError::NameClash {
                    plugin: p.id().to_owned(),
                    tool: t.name.clone(),
                    other: "every plugin__tool name".into(),
                });
            }
        }
        None
    }

    /// The `plugin.tool` an MCP tool name stands for: `plugin__tool`, or
    /// the bare name of a tool of a plugin loaded with `mcp-prefix = false`.
    pub fn qualified_of_mcp(&self, mcp: &str) -> Option<String> {
        if let Some((p, t)) = mcp.split_once("__") {
            return Some(format!("{p}.{t}"));
        }
        self.plugins
            .values()
            .find(|p| p.bare_names && p.tool(mcp).is_some())
            .map(|p| format!("{}.{mcp}", p.id()))
    }

    /// The MCP name of `plugin.tool`.
    pub fn mcp_name_of(&self, qualified: &str) -> String {
        match qualified.split_once('.') {
            Some((p, t)) if self.plugins.get(p).is_some_and(|p| p.bare_names) => t.to_owned(),
            _ => qualified.replacen('.', "__", 1),
        }
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
    pub fn refusals(&self) -> &[Refused] {
        &self.refused
    }

    /// Find `plugin.tool`.
    pub fn resolve(&self, qualified: &str) -> Option<(&RegisteredPlugin, &ManifestTool)> {
        let (plugin, tool) = qualified.split_once('.')?;
        let p = self.plugins.get(plugin)?;
        Some((p, p.tool(tool)?))
    }
}

/// Compare the signed tools with the tools a component reports.
///
/// # Errors
///
/// The first difference, in words.
pub fn compare_tools(signed: &[ManifestTool], reported: &[ToolSpec]) -> Result<(), Invalid> {
    for r in reported {
        let Some(s) = signed.iter().find(|s| s.name == r.name) else {
            return Err(Invalid(format!(
                "the component reports tool `{}`, which the manifest does not list",
                r.name
            )));
        };
        if s.description != r.description {
            return Err(Invalid(format!(
                "tool `{}`: description differs (manifest: {:?}; component: {:?})",
                r.name, s.description, r.description
            )));
        }
        if s.impact != r.impact {
            return Err(Invalid(format!(
                "tool `{}`: impact differs (manifest: {}; component: {})",
                r.name, s.impact, r.impact
            )));
        }
        if s.input_schema != r.input_schema {
            return Err(Invalid(format!(
                "tool `{}`: input schema differs from the component's",
                r.name
            )));
        }
        // A manifest may leave out the output schema a component reports
        // (then the output is not checked); one it names must be the
        // component's, when the component reports one.
        if let (Some(signed), Some(said)) = (&s.output_schema, &r.output_schema)
            && signed != said
        {
            return Err(Invalid(format!(
                "tool `{}`: output schema differs from the component's",
                r.name
            )));
        }
    }
    for s in signed {
        if reported.iter().all(|r| r.name != s.name) {
            return Err(Invalid(format!(
                "the manifest lists tool `{}`, which the component does not report",
                s.name
            )));
        }
    }
    Ok(())
}
