//! `warrant approvals list|approve|deny`

use std::process::ExitCode;

use crate::HostConfig;
use crate::operator::OperatorActions;
use crate::state::now_ms;
use crate::vocab::safe;

use crate::cli::{ConfigArg, Operator};

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
    /// Your key and reason; you must be an approver for the tool, never
    /// the agent itself. The decision is signed over the exact held call.
    #[command(flatten)]
    pub op: Operator,
    #[command(flatten)]
    pub config: ConfigArg,
}

pub async fn run(c: Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::List { all, config } => {
            let ops = OperatorActions::open(HostConfig::load(&config.config)?).await?;
            let list = ops.approvals(all).await?;
            if list.is_empty() {
                out!("no {}approval requests", if all { "" } else { "open " });
            }
            let now = now_ms();
            for a in list {
                let age = (now - a.requested_at) / 1000;
                let b = &a.binding;
                out!(
                    "{}  {:<8} {} wants {} for task {} ({}s ago)",
                    safe(&a.id),
                    a.shown_status(now),
                    safe(&b.agent),
                    safe(&b.tool),
                    safe(&b.task),
                    age
                );
                out!(
                    "    bound to: plugin version {}, component {}, tool definition {}",
                    safe(&b.plugin_version),
                    safe(&b.component_digest),
                    safe(&b.tool_digest)
                );
                out!("    args: {}", safe(&a.summary));
                out!(
                    "    approvals: {} of {} needed{}; binding digest {}",
                    a.votes.len(),
                    a.required,
                    if a.votes.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", safe(&a.votes.join(", ")))
                    },
                    b.digest()
                );
                out!("    why:  {}", safe(&a.why));
                if let Some(by) = &a.decided_by {
                    out!(
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
    let ops = OperatorActions::open(HostConfig::load(&d.config.config)?).await?;
    let signer = d.op.signer(&ops).await?;
    let held = ops.approval(&d.id).await?;
    let b = &held.binding;
    eprintln!(
        "{} {} wants {} for task {}\n    args: {}\n    bound to plugin version {}, component {}, tool definition {}",
        if approve { "approving" } else { "denying" },
        safe(&b.agent),
        safe(&b.tool),
        safe(&b.task),
        safe(&held.summary),
        safe(&b.plugin_version),
        safe(&b.component_digest),
        safe(&b.tool_digest)
    );
    let signed = signer.sign_decision(approve, &d.id, &b.digest(), &d.op.reason);
    let a = ops.decide(&signed).await?;
    let status = if approve && a.status == crate::state::ApprovalStatus::Pending {
        format!("approval {} of {} recorded;", a.votes.len(), a.required)
    } else {
        a.status.as_str().to_owned()
    };
    out!(
        "{status} {} for {} → {} (task {}), signed by {} with key {}",
        safe(&a.id),
        safe(&a.binding.agent),
        safe(&a.binding.tool),
        safe(&a.binding.task),
        safe(signer.operator()),
        safe(&signed.action.key)
    );
    Ok(ExitCode::SUCCESS)
}
