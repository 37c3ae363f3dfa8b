//! `warrant token issue|revoke`

use std::process::ExitCode;

use crate::HostConfig;
use crate::keys::IssueRequest;
use crate::operator::{OperatorActions, Stop};
use crate::vocab::{parse_duration, safe};

use crate::cli::{ConfigArg, Operator};

/// Issue or revoke task tokens.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Issue a short-lived token for one agent and one task; prints only the
    /// token on stdout, so `export WARRANT_TOKEN=$(warrant token issue ...)`.
    Issue {
        /// The agent (from [[agents]] in warrant.toml).
        #[arg(long)]
        agent: String,
        /// The task, e.g. INC-2026-0042.
        #[arg(long)]
        task: String,
        /// Limit the token to these tools (plugin.tool or plugin.*); default:
        /// the agent's whole grant.
        #[arg(long = "tool")]
        tools: Vec<String>,
        /// Lifetime, e.g. 15m (at most host.max-token-ttl).
        #[arg(long, default_value = "15m")]
        ttl: String,
        /// Your key and reason: an operator with the `issue` role.
        #[command(flatten)]
        op: Operator,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Revoke a token by id: every later call with it is refused.
    Revoke {
        /// The token id (tok-…), printed when it was issued.
        token_id: String,
        #[command(flatten)]
        op: Operator,
        #[command(flatten)]
        config: ConfigArg,
    },
}

pub async fn run(c: Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::Issue {
            agent,
            task,
            tools,
            ttl,
            op,
            config,
        } => {
            let ops = OperatorActions::open(HostConfig::load(&config.config)?)?;
            let ttl = parse_duration(&ttl)?;
            let request = IssueRequest {
                agent,
                task,
                tools,
                ttl_secs: ttl.as_secs(),
            };
            let signed = op.signer(ops.config())?.sign_issue(request, &op.reason);
            let (token, t) = ops.issue_token(&signed).await?;
            out!("{token}");
            eprintln!(
                "issued {} to {} for task {}: {} until {} (signed by {})",
                t.id,
                safe(&t.agent),
                safe(&t.task),
                safe(&t.tools.join(", ")),
                chrono::DateTime::<chrono::Utc>::from_timestamp(t.exp, 0)
                    .map(|x| x.to_rfc3339())
                    .unwrap_or_default(),
                safe(&signed.action.operator)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Revoke {
            token_id,
            op,
            config,
        } => crate::cli::stop::run(Stop::Revoke(token_id), op, config).await,
    }
}
