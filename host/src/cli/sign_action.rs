//! `warrant sign-action`: sign one operator action with your key and print
//! it, for the HTTP operator API. Nothing is sent and nothing is changed.

use std::process::ExitCode;

use anyhow::anyhow;

use crate::HostConfig;
use crate::cli::{ConfigArg, Operator};
use crate::keys::{ActionKind, IssueRequest};
use crate::vocab::parse_duration;

/// Sign an action and print the JSON body for `POST /v1/admin/…`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do: approve, deny, halt, resume, quarantine, release,
    /// revoke, disable, enable, issue, reload, reset-version.
    #[arg(value_parser = KINDS)]
    pub kind: String,
    /// Its object: the approval id, agent, token id or plugin (none for
    /// halt, resume, reload and issue).
    #[arg(default_value = "")]
    pub target: String,
    /// For approve and deny: the held call's `binding_digest`, from
    /// `GET /v1/admin/approvals/ID` or `warrant approvals list`.
    #[arg(long)]
    pub binding: Option<String>,
    /// For issue: the agent.
    #[arg(long)]
    pub agent: Option<String>,
    /// For issue: the task.
    #[arg(long)]
    pub task: Option<String>,
    /// For issue: limit the token to these tools.
    #[arg(long = "tool")]
    pub tools: Vec<String>,
    /// For issue: the lifetime.
    #[arg(long, default_value = "15m")]
    pub ttl: String,
    /// The host or fleet the action is for (`host-…` or `fleet-…`); any
    /// other refuses it. Default: that of the state the config names, when
    /// it can be opened from here.
    #[arg(long)]
    pub audience: Option<String>,
    #[command(flatten)]
    pub op: Operator,
    #[command(flatten)]
    pub config: ConfigArg,
}

const KINDS: [&str; 12] = [
    "approve",
    "deny",
    "halt",
    "resume",
    "quarantine",
    "release",
    "revoke",
    "disable",
    "enable",
    "issue",
    "reload",
    "reset-version",
];

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let config = HostConfig::load(&a.config.config)?;
    let audience = crate::cli::audience_of(a.audience.clone(), &config).await?;
    let signer =
        crate::operator::OperatorSigner::from_file(&a.op.key, &config)?.for_audience(&audience);
    let kind: ActionKind = serde_json::from_value(serde_json::Value::String(a.kind.clone()))
        .map_err(|_| anyhow!("{:?} is not an action", a.kind))?;
    let needs_target = !matches!(
        kind,
        ActionKind::Halt | ActionKind::Resume | ActionKind::Reload | ActionKind::Issue
    );
    if needs_target == a.target.is_empty() {
        return Err(anyhow!(
            "{} {}",
            kind.as_str(),
            if needs_target {
                "needs its object (an approval id, agent, token id or plugin)"
            } else {
                "takes no object"
            }
        ));
    }
    let signed = match kind {
        ActionKind::Approve | ActionKind::Deny => {
            let binding = a.binding.as_deref().ok_or_else(|| {
                anyhow!("approve and deny need --binding: the held call's binding_digest")
            })?;
            signer.sign_decision(
                kind == ActionKind::Approve,
                &a.target,
                binding,
                &a.op.reason,
            )
        }
        ActionKind::Issue => {
            let (Some(agent), Some(task)) = (a.agent, a.task) else {
                return Err(anyhow!("issue needs --agent and --task"));
            };
            let request = IssueRequest {
                agent,
                task,
                tools: a.tools,
                ttl_secs: parse_duration(&a.ttl)?.as_secs(),
            };
            signer.sign_issue(request, &a.op.reason)
        }
        _ => signer.sign(kind, &a.target, &a.op.reason),
    };
    out!("{}", serde_json::to_string(&signed)?);
    Ok(ExitCode::SUCCESS)
}
