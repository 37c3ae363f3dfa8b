//! `warrant call`

use std::process::ExitCode;

use anyhow::anyhow;
use warrant::{CancelToken, HostConfig, LoadOptions, Registry, Sandbox, StateDb};

use crate::cli::ConfigArg;

/// Call one tool and print its JSON output (or the refusal) .
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tool, as plugin.tool (e.g. ioc-extract.extract).
    pub tool: String,
    /// The input, a JSON object.
    #[arg(long, default_value = "{}")]
    pub input: String,
    /// DEVELOPMENT ONLY: load unsigned manifests. Never on a real host.
    #[arg(long)]
    pub insecure: bool,
    #[command(flatten)]
    pub config: ConfigArg,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let config = HostConfig::load(&a.config.config)?;
    if a.insecure {
        eprintln!("WARNING: --insecure: unsigned manifests are accepted; do not use this outside development");
    }
    let sandbox = Sandbox::new(config.sandbox.clone())?;
    let state = StateDb::open(&config.state_dir)?;
    let opts = LoadOptions { insecure: a.insecure, ..LoadOptions::default() };
    let registry = Registry::load(&config, &sandbox, &state, opts).await;
    for r in registry.refusals() {
        eprintln!("warning: {r}");
    }
    let (plugin, tool) = registry
        .resolve(&a.tool)
        .ok_or_else(|| anyhow!("no loaded plugin offers tool {}", a.tool))?;
    let report = plugin.plugin.call(&tool.name, &a.input, &CancelToken::new()).await;
    match report.outcome {
        Ok(out) => {
            println!("{out}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("refused: {e}");
            Ok(ExitCode::from(1))
        }
    }
}
