//! `warrant halt|resume|quarantine|release|plugin disable|enable|reset-version|token revoke|reload`:
//! the stop buttons and their releases — one implementation for all.

use std::process::ExitCode;

use crate::HostConfig;
use crate::cli::{ConfigArg, Operator};
use crate::keys::ActionKind;
use crate::operator::{OperatorActions, Stop};
use crate::vocab::safe;

/// Arguments of a stop button on the whole host.
#[derive(Debug, clap::Args)]
pub struct HostArgs {
    #[command(flatten)]
    pub op: Operator,
    #[command(flatten)]
    pub config: ConfigArg,
}

/// Arguments of a stop button on one agent.
#[derive(Debug, clap::Args)]
pub struct AgentArgs {
    /// The agent id.
    pub agent: String,
    #[command(flatten)]
    pub op: Operator,
    #[command(flatten)]
    pub config: ConfigArg,
}

/// Disable or re-enable a loaded plugin without restarting the host.
#[derive(Debug, clap::Subcommand)]
pub enum PluginCommand {
    /// Refuse every call of the plugin and cancel its calls in flight.
    Disable(PluginArgs),
    /// Allow calls of the plugin again.
    Enable(PluginArgs),
    /// Forget the plugin's version high-water mark, so that a lower version
    /// may load again (after a mistaken release). Recorded in the chain.
    ResetVersion(PluginArgs),
}

/// Arguments of an action on one plugin.
#[derive(Debug, clap::Args)]
pub struct PluginArgs {
    /// The plugin id.
    pub plugin: String,
    #[command(flatten)]
    pub op: Operator,
    #[command(flatten)]
    pub config: ConfigArg,
}

/// Press a stop button (or release it) and print what changed.
pub async fn run(stop: Stop, op: Operator, config: ConfigArg) -> anyhow::Result<ExitCode> {
    let ops = OperatorActions::open(HostConfig::load(&config.config)?).await?;
    let (kind, target) = stop.action();
    let signed = op.signer(&ops).await?.sign(kind, target, &op.reason);
    let changed = ops.stop(&stop, &signed).await?;
    out!("{}", safe(&stop.outcome(changed)));
    Ok(ExitCode::SUCCESS)
}

/// `warrant plugin …`
pub async fn plugin(c: PluginCommand) -> anyhow::Result<ExitCode> {
    match c {
        PluginCommand::Disable(a) => run(Stop::Disable(a.plugin), a.op, a.config).await,
        PluginCommand::Enable(a) => run(Stop::Enable(a.plugin), a.op, a.config).await,
        PluginCommand::ResetVersion(a) => {
            let ops = OperatorActions::open(HostConfig::load(&a.config.config)?).await?;
            let signed =
                a.op.signer(&ops)
                    .await?
                    .sign(ActionKind::ResetVersion, &a.plugin, &a.op.reason);
            let from = ops.reset_version(&a.plugin, &signed).await?;
            out!(
                "{}",
                safe(&match from {
                    Some(v) => format!(
                        "plugin {}: version mark {v} forgotten; any signed version may load again",
                        a.plugin
                    ),
                    None => format!("plugin {} had no version mark", a.plugin),
                })
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `warrant reload`: every host on this state reloads its config and trust.
pub async fn reload(a: HostArgs) -> anyhow::Result<ExitCode> {
    let ops = OperatorActions::open(HostConfig::load(&a.config.config)?).await?;
    let signed =
        a.op.signer(&ops)
            .await?
            .sign(ActionKind::Reload, "", &a.op.reason);
    let generation = ops.request_reload(&signed).await?;
    out!(
        "reload {generation} requested: every host on this state re-reads its config and trust within a second, \
         re-verifies its plugins and unloads what no longer verifies (see `warrant audit show`)"
    );
    Ok(ExitCode::SUCCESS)
}
