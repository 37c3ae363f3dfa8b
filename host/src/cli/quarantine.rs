//! `warrant quarantine`

use std::process::ExitCode;

use crate::HostConfig;
use crate::admin::Admin;

use crate::cli::{ConfigArg, Operator};

/// Quarantine an agent: its new calls are refused and its calls in flight
/// are cancelled, by every process sharing this state, within 100 ms.
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
    let changed = admin.quarantine(&a.agent, &a.op.by, &a.op.reason).await?;
    println!(
        "{}",
        if changed {
            format!("agent {} quarantined", a.agent)
        } else {
            format!("agent {} was already quarantined", a.agent)
        }
    );
    Ok(ExitCode::SUCCESS)
}
