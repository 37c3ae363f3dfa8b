//! `warrant plugin disable|enable`

use std::process::ExitCode;

use crate::HostConfig;
use crate::admin::Admin;

use crate::cli::{ConfigArg, Operator};

/// Disable or re-enable a loaded plugin without restarting the host.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Refuse every call of the plugin and cancel its calls in flight.
    Disable {
        /// The plugin id.
        plugin: String,
        #[command(flatten)]
        op: Operator,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Allow calls of the plugin again.
    Enable {
        /// The plugin id.
        plugin: String,
        #[command(flatten)]
        op: Operator,
        #[command(flatten)]
        config: ConfigArg,
    },
}

pub async fn run(c: Command) -> anyhow::Result<ExitCode> {
    let (plugin, disable, op, config) = match c {
        Command::Disable { plugin, op, config } => (plugin, true, op, config),
        Command::Enable { plugin, op, config } => (plugin, false, op, config),
    };
    let admin = Admin::open(HostConfig::load(&config.config)?)?;
    let changed = admin
        .set_plugin_disabled(&plugin, disable, &op.by, &op.reason)
        .await?;
    let what = if disable { "disabled" } else { "enabled" };
    println!(
        "plugin {plugin} {}{what}",
        if changed { "" } else { "was already " }
    );
    Ok(ExitCode::SUCCESS)
}
