//! `warrant approvals list|approve|deny`

use std::process::ExitCode;

use crate::HostConfig;
use crate::admin::Admin;
use crate::audit::safe;
use crate::state::now_ms;

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
            let admin = Admin::open(HostConfig::load(&config.config)?)?;
            let list = admin.approvals(all)?;
            if list.is_empty() {
                println!("no {}approval requests", if all { "" } else { "open " });
            }
            let now = now_ms();
            for a in list {
                let age = (now - a.requested_at) / 1000;
                println!(
                    "{}  {:<8} {} wants {} for task {} ({}s ago)",
                    a.id,
                    a.shown_status(now),
                    a.agent,
                    a.tool,
                    a.task,
                    age
                );
                println!("    args: {}", safe(&a.summary));
                println!("    why:  {}", safe(&a.why));
                if let Some(by) = &a.decided_by {
                    println!(
                        "    decided by {by}{}",
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
    let admin = Admin::open(HostConfig::load(&d.config.config)?)?;
    let a = admin.decide(&d.id, approve, &d.by, &d.reason).await?;
    println!(
        "{} {} for {} → {} (task {})",
        a.status.as_str(),
        a.id,
        a.agent,
        a.tool,
        a.task
    );
    Ok(ExitCode::SUCCESS)
}
