//! Verifying and loading one plugin entry, check by check; a refusal keeps
//! everything that was learnt before it (for the audit chain and for the
//! policy view).

use std::path::{Path, PathBuf};

use crate::config::{HostConfig, PluginEntry};
use crate::manifest::{self, Manifest, ManifestTerms, VerifiedManifest, VerifyError, tool_digest};
use crate::registry::{LoadOptions, RegisteredPlugin, RegistryError, compare_tools, grants};
use crate::sandbox::Sandbox;
use crate::state::{SharedState, VersionMark};

/// A plugin that was not loaded: why, and what was known of it.
#[derive(Debug)]
pub struct Refused {
    /// Why.
    pub error: RegistryError,
    /// The manifest file.
    pub manifest_path: PathBuf,
    /// The manifest, when it could be read (its signature may not verify).
    pub manifest: Option<Box<(Manifest, ManifestTerms)>>,
    /// `sha256:` of the component, when it was read.
    pub component_digest: Option<String>,
    /// The key the manifest names as its signer.
    pub signer: Option<String>,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl Refused {
    fn new(path: &Path, error: RegistryError) -> Box<Self> {
        Box::new(Self {
            error,
            manifest_path: path.to_owned(),
            manifest: None,
            component_digest: None,
            signer: None,
        })
    }

    pub(crate) fn of_loaded(p: &RegisteredPlugin, error: RegistryError) -> Self {
        Self {
            error,
            manifest_path: p.manifest.path().to_owned(),
            manifest: Some(Box::new((
                p.manifest.manifest().clone(),
                p.manifest.terms().clone(),
            ))),
            component_digest: Some(p.manifest.component_digest()),
            signer: p.manifest.signer().map(str::to_owned),
        }
    }

    /// The plugin id, when the manifest could be read.
    pub fn plugin(&self) -> Option<&str> {
        self.manifest.as_ref().map(|m| m.0.plugin.id.as_str())
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
    state: &dyn SharedState,
    opts: LoadOptions,
) -> Result<RegisteredPlugin, RegistryError> {
    load_entry(entry, config, sandbox, state, opts)
        .await
        .map_err(|r| r.error)
}

pub(crate) async fn load_entry(
    entry: &PluginEntry,
    config: &HostConfig,
    sandbox: &Sandbox,
    state: &dyn SharedState,
    opts: LoadOptions,
) -> Result<RegisteredPlugin, Box<Refused>> {
    let path = config.resolve(&entry.manifest);
    let read_from = config.locate(&entry.manifest).map_err(|why| {
        Refused::new(
            &path,
            manifest::VerifyError::Read {
                path: path.clone(),
                why,
            }
            .into(),
        )
    })?;
    let (m, terms) =
        manifest::load_manifest_as(&read_from, &path).map_err(|e| Refused::new(&path, e.into()))?;
    let mut refused = Refused::new(
        &path,
        RegistryError::Duplicate {
            plugin: String::new(),
            first: PathBuf::new(),
            second: PathBuf::new(),
        },
    );
    refused.signer = m.signature.as_ref().map(|s| s.key.clone());
    refused.manifest = Some(Box::new((m.clone(), terms.clone())));
    let fail = |mut r: Box<Refused>, error: RegistryError| {
        r.error = error;
        r
    };
    let verified = match verify_parsed(m, terms, &path, config, opts) {
        Ok(v) => v,
        Err(e) => return Err(fail(refused, e.into())),
    };
    refused.component_digest = Some(verified.component_digest());
    match load_verified(verified, entry, config, sandbox, state, opts).await {
        Ok(p) => Ok(p),
        Err(e) => Err(fail(refused, e)),
    }
}

async fn load_verified(
    verified: VerifiedManifest,
    entry: &PluginEntry,
    config: &HostConfig,
    sandbox: &Sandbox,
    state: &dyn SharedState,
    opts: LoadOptions,
) -> Result<RegisteredPlugin, RegistryError> {
    let m = verified.manifest();
    let id = m.plugin.id.clone();
    let mark = VersionMark {
        version: verified.terms().version,
        manifest_digest: verified.manifest_digest().to_owned(),
        component_digest: verified.component_digest(),
    };
    if !opts.insecure {
        check_rollback(&id, &mark, state).await?;
    }
    let caps =
        grants::capabilities(&verified, entry, config).map_err(|error| RegistryError::Config {
            plugin: id.clone(),
            error,
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
        detail: detail.0,
    })?;
    for tool in entry.action_owners.keys() {
        if m.tools.iter().all(|t| &t.name != tool) {
            return Err(RegistryError::UnknownOwnedTool {
                plugin: id,
                tool: tool.clone(),
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
    // Verified manifests carry valid schemas (checked when parsed).
    let outputs = m
        .tools
        .iter()
        .filter_map(|t| {
            let v = crate::manifest::output_validator(t.output_schema.as_deref()?).ok()?;
            Some((t.name.clone(), std::sync::Arc::new(v)))
        })
        .collect();
    let tool_digests = m
        .tools
        .iter()
        .map(|t| (t.name.clone(), tool_digest(t)))
        .collect();
    if !opts.insecure && !opts.dry_run {
        state.record_version(&id, &mark).await?;
    }
    Ok(RegisteredPlugin {
        manifest: verified,
        plugin,
        action_owners,
        tool_digests,
        bare_names: !entry.mcp_prefix,
        outputs,
    })
}

/// Refuse a version below the high-water mark, and the same version with
/// other contents.
async fn check_rollback(
    id: &str,
    mark: &VersionMark,
    state: &dyn SharedState,
) -> Result<(), RegistryError> {
    let Some(high) = state.highest_version(id).await? else {
        return Ok(());
    };
    if mark.version < high.version {
        return Err(RegistryError::Rollback {
            plugin: id.to_owned(),
            version: mark.version.to_string(),
            highest: high.version.to_string(),
        });
    }
    // A mark from before digests were kept has an empty manifest digest:
    // only its version can be compared.
    if mark.version == high.version && !high.manifest_digest.is_empty() {
        let what = if high.manifest_digest != mark.manifest_digest {
            Some("manifest")
        } else if high.component_digest != mark.component_digest {
            Some("component")
        } else {
            None
        };
        if let Some(what) = what {
            return Err(RegistryError::VersionReused {
                plugin: id.to_owned(),
                version: mark.version.to_string(),
                what,
            });
        }
    }
    Ok(())
}

fn verify_parsed(
    m: Manifest,
    terms: ManifestTerms,
    path: &Path,
    config: &HostConfig,
    opts: LoadOptions,
) -> Result<VerifiedManifest, VerifyError> {
    if opts.insecure {
        manifest::accept_unsigned(m, terms, path)
    } else {
        manifest::verify(m, terms, path, &config.trust, opts.now)
    }
}

/// Verify a manifest file under the config's trust (or accept it unsigned
/// with `insecure`).
///
/// # Errors
///
/// [`VerifyError`] naming the failed check.
pub fn verify_entry(
    path: &Path,
    config: &HostConfig,
    opts: LoadOptions,
) -> Result<VerifiedManifest, VerifyError> {
    let (m, terms) = manifest::load_manifest(path)?;
    verify_parsed(m, terms, path, config, opts)
}
