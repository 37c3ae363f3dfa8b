//! `warrant resume`

use std::process::ExitCode;

use crate::HostConfig;
use crate::admin::Admin;

use crate::cli::{ConfigArg, Operator};

/// Resume after `warrant halt`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub op: Operator,
    #[command(flatten)]
    pub config: ConfigArg,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let admin = Admin::open(HostConfig::load(&a.config.config)?)?;
    let changed = admin.resume(&a.op.by, &a.op.reason).await?;
    println!(
        "{}",
        if changed {
            "host resumed"
        } else {
            "host was not halted"
        }
    );
    Ok(ExitCode::SUCCESS)
}
