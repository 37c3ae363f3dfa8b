//! `warrant release`

use std::process::ExitCode;

use crate::HostConfig;
use crate::admin::Admin;

use crate::cli::{ConfigArg, Operator};

/// Release a quarantined agent.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent id.
    pub agent: String,
    #[command(flatten)]
    pub op: Operator,
    #[command(flatten)]
    pub config: ConfigArg,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let admin = Admin::open(HostConfig::load(&a.config.config)?)?;
    let changed = admin.release(&a.agent, &a.op.by, &a.op.reason).await?;
    println!(
        "{}",
        if changed {
            format!("agent {} released", a.agent)
        } else {
            format!("agent {} was not quarantined", a.agent)
        }
    );
    Ok(ExitCode::SUCCESS)
}
