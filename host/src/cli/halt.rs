//! `warrant halt`

use std::process::ExitCode;

use crate::HostConfig;
use crate::admin::Admin;

use crate::cli::{ConfigArg, Operator};

/// Halt the host: every call is refused and calls in flight are cancelled,
/// within 100 ms, until `warrant resume`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub op: Operator,
    #[command(flatten)]
    pub config: ConfigArg,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let admin = Admin::open(HostConfig::load(&a.config.config)?)?;
    let changed = admin.halt(&a.op.by, &a.op.reason).await?;
    println!(
        "{}",
        if changed {
            "host halted"
        } else {
            "host was already halted"
        }
    );
    Ok(ExitCode::SUCCESS)
}
