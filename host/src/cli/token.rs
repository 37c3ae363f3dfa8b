//! `warrant token issue|exchange|revoke|rotate-key`

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
    /// Exchange a workload credential (a JWT from an [[issuers]] entry) for
    /// a task token, as `POST /oauth/token` does; prints only the token.
    /// No operator key is involved: the credential proves the agent.
    Exchange {
        /// A file holding the workload credential (`-` for stdin).
        #[arg(long, value_name = "FILE")]
        subject_token: String,
        /// The task, e.g. INC-2026-0042.
        #[arg(long)]
        task: String,
        /// Narrow the token to these tools (plugin.tool or plugin.*).
        #[arg(long = "tool")]
        tools: Vec<String>,
        /// A shorter lifetime than the default 15m (at most
        /// host.max-token-ttl and the credential's own).
        #[arg(long)]
        ttl: Option<String>,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Revoke a token by id: every later call with it is refused. Given a
    /// host's token key id (wtk-…, in `fleet status`), every token that key
    /// signed is refused, on every host.
    Revoke {
        /// The token id (tok-…), printed when it was issued; or a token key
        /// id (wtk-…).
        token_id: String,
        #[command(flatten)]
        op: Operator,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Rotate this host's token key (run it where the host's state
    /// directory is): a new key is made and published, the old one rotated
    /// out on every host of the fleet — tokens it signed before stay good
    /// until they expire — and every host reloads, this one to sign with
    /// the new key.
    RotateKey {
        /// The old key may have leaked: refuse everything it signed, at once.
        #[arg(long)]
        revoke_old: bool,
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
            let ops = OperatorActions::open(HostConfig::load(&config.config)?).await?;
            let ttl = parse_duration(&ttl)?;
            let request = IssueRequest {
                agent,
                task,
                tools,
                ttl_secs: ttl.as_secs(),
            };
            let signed = op.signer(&ops).await?.sign_issue(request, &op.reason);
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
        Command::Exchange {
            subject_token,
            task,
            tools,
            ttl,
            config,
        } => exchange(&subject_token, &task, tools, ttl.as_deref(), &config).await,
        Command::Revoke {
            token_id,
            op,
            config,
        } => crate::cli::stop::run(Stop::Revoke(token_id), op, config).await,
        Command::RotateKey { revoke_old, config } => {
            let config = HostConfig::load(&config.config)?;
            let r = crate::operator::rotate_token_key(&config, revoke_old).await?;
            out!("{}", r.new);
            eprintln!(
                "this host signs task tokens with {} now; {} is {} on every host",
                r.new,
                r.old,
                if r.revoked {
                    "revoked: nothing it signed verifies"
                } else {
                    "rotated out: tokens it signed before stay good until they expire"
                }
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn exchange(
    file: &str,
    task: &str,
    tools: Vec<String>,
    ttl: Option<&str>,
    config: &ConfigArg,
) -> anyhow::Result<ExitCode> {
    use anyhow::Context as _;
    let credential = if file == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading the credential from stdin")?
    } else {
        // A file the operator names: ambient authority.
        std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))?
    };
    let config = HostConfig::load(&config.config)?;
    let host = crate::Host::open(config, crate::HostOptions::default()).await?;
    let req = crate::authz::ExchangeRequest {
        subject_token: credential.trim(),
        task,
        tools,
        ttl: ttl.map(parse_duration).transpose()?,
        resource: None,
        dpop_jkt: None,
    };
    let result = host.exchange(&req, "cli").await;
    host.shutdown("the exchange is done").await;
    let x = result.map_err(|e| anyhow::anyhow!("not exchanged ({}): {}", e.code, e.reason))?;
    out!("{}", x.token);
    eprintln!(
        "issued {} to {} for task {}: {} until {} (for workload {} of issuer {})",
        x.claims.id,
        safe(&x.claims.agent),
        safe(&x.claims.task),
        safe(&x.claims.tools.join(", ")),
        chrono::DateTime::<chrono::Utc>::from_timestamp(x.claims.exp, 0)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default(),
        safe(
            x.credential
                .subject
                .as_deref()
                .or(x.credential.client_id.as_deref())
                .unwrap_or("-")
        ),
        safe(&x.credential.issuer)
    );
    Ok(ExitCode::SUCCESS)
}
