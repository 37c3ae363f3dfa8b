//! `warrant call`

use std::process::ExitCode;

use crate::vocab::{safe, safe_json};
use crate::{CallError, CallRequest, Host, HostConfig, HostOptions};
use anyhow::Context as _;

use crate::cli::ConfigArg;

/// Call one tool through the host — token, policy, approval, sandbox,
/// audit — and print its JSON output. Exit 0 with output, 1 when refused or
/// failed, 3 when held for approval (retry the same call once approved).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tool, as plugin.tool (e.g. ioc-extract.extract).
    pub tool: String,
    /// The input, a JSON object.
    #[arg(long, default_value = "{}")]
    pub input: String,
    /// The task token (from `warrant token issue`).
    #[arg(long, env = "WARRANT_TOKEN", hide_env_values = true)]
    pub token: String,
    /// What the agent says it is doing; recorded in the audit chain.
    #[arg(long)]
    pub prompt: Option<String>,
    /// More context, as JSON; recorded in the audit chain.
    #[arg(long)]
    pub context: Option<String>,
    /// A correlation id (e.g. the ticket or request that caused this
    /// call), recorded with it: 1–128 printable ASCII characters.
    #[arg(long, env = "WARRANT_CORRELATION_ID")]
    pub correlation_id: Option<String>,
    /// DEVELOPMENT ONLY: load unsigned manifests. Never on a real host.
    #[arg(long)]
    pub insecure: bool,
    #[command(flatten)]
    pub config: ConfigArg,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let config = HostConfig::load(&a.config.config)?;
    if a.insecure {
        eprintln!(
            "WARNING: --insecure: unsigned manifests are accepted; never use this outside development"
        );
    }
    let context = a
        .context
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .context("--context must be JSON")?;
    let host = Host::open(
        config,
        HostOptions {
            insecure: a.insecure,
            record_loads: false,
            ..HostOptions::default()
        },
    )
    .await?;
    for r in host.registry().refusals() {
        eprintln!("warning: plugin not loaded: {}", safe(&r.error.to_string()));
    }
    let resp = host
        .call(CallRequest {
            token: a.token,
            tool: a.tool,
            input: a.input.into(),
            prompt: a.prompt,
            context,
            channel: "cli",
            progress: None,
            wait: None,
            sender: crate::authz::Sender::default(),
            // OpenTelemetry's carrier for a command's trace context.
            trace: std::env::var("TRACEPARENT").ok().and_then(|t| {
                crate::audit::event::TraceRef::parse(
                    &t,
                    std::env::var("TRACESTATE").ok().as_deref(),
                )
            }),
            correlation: a
                .correlation_id
                .as_deref()
                .and_then(crate::mediation::correlation_id),
        })
        .await;
    host.shutdown("the command finished").await;
    let record = resp
        .audit_seq
        .map(|s| format!(" (audit record #{s}, call {})", resp.call_id))
        .unwrap_or_default();
    match resp.outcome {
        Ok(out) => {
            // The same JSON value, with characters that could drive a
            // terminal written as escapes.
            out!("{}", safe_json(&out));
            eprintln!("ok{record}");
            Ok(ExitCode::SUCCESS)
        }
        Err(CallError::Refused(r @ crate::authz::Refusal::PendingApproval { .. })) => {
            eprintln!("held: {}{record}", safe(&r.to_string()));
            Ok(ExitCode::from(3))
        }
        Err(CallError::Refused(r)) => {
            eprintln!("refused by {}: {}{record}", r.layer(), safe(&r.to_string()));
            Ok(ExitCode::from(1))
        }
        Err(e) => {
            eprintln!("failed ({}): {}{record}", e.kind(), safe(&e.to_string()));
            Ok(ExitCode::from(1))
        }
    }
}
