//! `warrant assure`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::assure::{ChainFacts, assess, html, oscal, text};
use crate::audit::VerifyKeys;
use crate::cli::ConfigArg;
use crate::{Host, HostConfig, HostOptions};

/// Evaluate the rules in force and the audit chain against a catalogue of
/// controls (warrant's accountability practices, NIST AI RMF, OWASP
/// Agentic Top 10, CSA MAESTRO, CoSAI) — each met, partly met or not, with
/// the config lines and chain records that show it.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// `text`, `html` (one page), or `oscal` (NIST OSCAL assessment
    /// results, JSON, for GRC tools).
    #[arg(long, value_parser = ["text", "html", "oscal"], default_value = "text")]
    pub format: String,
    /// Write here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArg,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let config = HostConfig::load(&a.config.config)?;
    let host = Host::open(config, HostOptions::default()).await?;
    let cfg = host.config();
    let mut keys = VerifyKeys::from_state_dir(host.state_dir(), true)?;
    keys.witnesses = crate::audit::tlog::WitnessKey::of(&cfg.audit.witnesses);
    let dir = cfg.audit.dir.clone();
    let chain = tokio::task::spawn_blocking(move || ChainFacts::read(&dir, &keys)).await?;
    let assessment = assess(&host, &chain).map_err(|e| anyhow::anyhow!(e))?;
    let body = match a.format.as_str() {
        "html" => html(&assessment),
        "oscal" => serde_json::to_string_pretty(&oscal(&assessment))?,
        _ => text(&assessment),
    };
    match &a.out {
        Some(p) => {
            std::fs::write(p, body).with_context(|| format!("{}", p.display()))?;
            out!("wrote {}", p.display());
        }
        None => out!("{}", body.trim_end()),
    }
    host.shutdown("assure").await;
    Ok(ExitCode::SUCCESS)
}
