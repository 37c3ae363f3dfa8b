//! `warrant sign`

use std::path::PathBuf;
use std::process::ExitCode;

use crate::keys::read_key_file;
use crate::publish::sign_manifest;
use crate::{Sandbox, SandboxConfig};
use anyhow::{Context as _, anyhow};

/// Fill in the component digest and the reported tools, then sign the
/// manifest in place — after the checks a host makes at load (imports
/// against the grants, limits, instance count), so that what signs loads.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The manifest to sign; its `component` is read relative to it.
    pub manifest: PathBuf,
    /// The key file from `warrant keygen`.
    #[arg(long)]
    pub key: PathBuf,
    /// Keep the compiled component in this directory, so that signing the
    /// same bytes again (or `warrant inspect`) does not compile it again.
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let key = read_key_file(&a.key).map_err(|e| anyhow!(e))?;
    // Fuel metering on, so that a manifest's fuel budget is checked rather
    // than refused: whether a host meters fuel is its operator's choice.
    let sandbox = Sandbox::new(SandboxConfig {
        fuel: true,
        cache_dir: a.cache_dir,
        ..SandboxConfig::default()
    })?;
    let signed = sign_manifest(&a.manifest, &key, &sandbox).await?;
    std::fs::write(&a.manifest, signed.manifest.to_toml())
        .with_context(|| format!("cannot write {}", a.manifest.display()))?;
    for c in &signed.changes {
        out!("{c}");
    }
    out!("wrote {}", a.manifest.display());
    Ok(ExitCode::SUCCESS)
}
