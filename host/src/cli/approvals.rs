//! `warrant approvals list|approve|deny`

use std::process::ExitCode;

use crate::HostConfig;
use crate::operator::OperatorActions;
use crate::state::now_ms;
use crate::vocab::safe;

use crate::cli::ConfigArg;

/// See and decide held high-impact calls.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Open requests (all requests with --all).
    List {
        /// Include decided, used and expired requests.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Approve a request: the exact held call may then run, once.
    Approve(Decide),
    /// Deny a request.
    Deny(Decide),
}

/// Arguments of approve and deny.
#[derive(Debug, clap::Args)]
pub struct Decide {
    /// The approval id (apr-…).
    pub id: String,
    /// Your name; must be an approver for the tool, never the agent itself.
    #[arg(long = "as", env = "WARRANT_OPERATOR")]
    pub by: String,
    /// Why (recorded in the audit chain).
    #[arg(long, default_value = "")]
    pub reason: String,
    #[command(flatten)]
    pub config: ConfigArg,
}

pub async fn run(c: Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::List { all, config } => {
            let ops = OperatorActions::open(HostConfig::load(&config.config)?)?;
            let list = ops.approvals(all).await?;
            if list.is_empty() {
                println!("no {}approval requests", if all { "" } else { "open " });
            }
            let now = now_ms();
            for a in list {
                let age = (now - a.requested_at) / 1000;
                let b = &a.binding;
                println!(
                    "{}  {:<8} {} wants {} for task {} ({}s ago)",
                    safe(&a.id),
                    a.shown_status(now),
                    safe(&b.agent),
                    safe(&b.tool),
                    safe(&b.task),
                    age
                );
                println!(
                    "    bound to: plugin version {}, component {}, tool definition {}",
                    safe(&b.plugin_version),
                    safe(&b.component_digest),
                    safe(&b.tool_digest)
                );
                println!("    args: {}", safe(&a.summary));
                println!("    why:  {}", safe(&a.why));
                if let Some(by) = &a.decided_by {
                    println!(
                        "    decided by {}{}",
                        safe(by),
                        a.decision_reason
                            .as_deref()
                            .filter(|r| !r.is_empty())
                            .map(|r| format!(": {}", safe(r)))
                            .unwrap_or_default()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Approve(d) => decide(d, true).await,
        Command::Deny(d) => decide(d, false).await,
    }
}

async fn decide(d: Decide, approve: bool) -> anyhow::Result<ExitCode> {
    let ops = OperatorActions::open(HostConfig::load(&d.config.config)?)?;
    let a = ops.decide(&d.id, approve, &d.by, &d.reason).await?;
    println!(
        "{} {} for {} → {} (task {})",
        a.status.as_str(),
        safe(&a.id),
        safe(&a.binding.agent),
        safe(&a.binding.tool),
        safe(&a.binding.task)
    );
    Ok(ExitCode::SUCCESS)
}
