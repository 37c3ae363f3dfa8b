//! `warrant verify`

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::PluginEntry;
use crate::registry::load_plugin;
use crate::statedir::StateDir;
use crate::vocab::safe;
use crate::{HostConfig, LoadOptions, Sandbox};

use crate::cli::ConfigArg;

/// Check that a manifest would load under the host config: signature,
/// trusted key, component digest, imports against grants, the tools the
/// component reports, rollback. Exit 0 if it would load, 1 with the reason
/// otherwise. Changes nothing.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The manifest to check.
    pub manifest: PathBuf,
    #[command(flatten)]
    pub config: ConfigArg,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let config = HostConfig::load(&a.config.config)?;
    let wanted = std::fs::canonicalize(&a.manifest).unwrap_or(a.manifest.clone());
    let entry = config
        .file
        .plugins
        .iter()
        .find(|p| {
            std::fs::canonicalize(config.resolve(&p.manifest))
                .ok()
                .as_ref()
                == Some(&wanted)
        })
        .cloned()
        .unwrap_or_else(|| PluginEntry::new(wanted.display().to_string()));
    let sandbox = Sandbox::new(crate::mediation::sandbox_config(&config))?;
    let dir = StateDir::create(&config.state_dir)?;
    let state = crate::operator::open_state(&config, &dir)?;
    let opts = LoadOptions {
        dry_run: true,
        ..LoadOptions::default()
    };
    match load_plugin(&entry, &config, &sandbox, state.as_ref(), opts).await {
        Ok(p) => {
            out!(
                "OK: {} {} would load (signed by {}, component sha256:{}, {} tools)",
                p.id(),
                safe(&p.manifest.manifest().plugin.version),
                safe(p.manifest.signer().unwrap_or("-")),
                p.manifest.digest_hex(),
                p.plugin.tools().len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            out!("REFUSED: {}", safe(&e.to_string()));
            Ok(ExitCode::from(1))
        }
    }
}
