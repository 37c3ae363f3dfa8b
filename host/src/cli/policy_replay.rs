//! `warrant policy replay`: the calls recorded in the audit chain decided
//! again under candidate policies, and every decision that would change.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::audit::{AuditPaths, Filter, read_records};
use crate::authz::{PolicyEngine, replay};
use crate::cli::ConfigArg;
use crate::vocab::safe;

/// Replay the chain against candidate policies.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The candidate policy files (the whole set to compare with the live
    /// one).
    #[arg(long = "candidate", value_name = "FILE", required = true)]
    pub candidate: Vec<PathBuf>,
    /// Only calls at or after this time (RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// Only this task.
    #[arg(long)]
    pub task: Option<String>,
    /// The chain (default: the config's; an exported copy works too).
    #[arg(long)]
    pub log: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArg,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    use anyhow::Context as _;
    let host = super::policy::open(&a.config).await?;
    let loaded = host.loaded();
    let candidate = PolicyEngine::load(
        &a.candidate,
        &loaded.config.agents,
        &loaded.registry.policy_view(),
    )?;
    let log = a
        .log
        .clone()
        .unwrap_or_else(|| AuditPaths::in_dir(&loaded.config.audit_dir()).log);
    let since = a
        .since
        .as_deref()
        .map(|s| chrono::DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&chrono::Utc)))
        .transpose()
        .context("--since must be an RFC 3339 time")?;
    let records = read_records(
        &log,
        &Filter {
            task: a.task.clone(),
            since,
            ..Filter::default()
        },
    )
    .with_context(|| format!("cannot read {}", log.display()))?;
    let engines = crate::authz::replay_engines(
        &records,
        &a.candidate,
        candidate,
        log.parent().unwrap_or(std::path::Path::new(".")),
    )?;
    let report = replay(&records, &engines);
    for c in &report.changed {
        out!(
            "{}  {} {} → {}  task {}  {}: {} → {}",
            safe(&c.time),
            safe(&c.call_id),
            safe(&c.agent),
            safe(&c.tool),
            safe(&c.task),
            "decision",
            safe(&c.recorded),
            safe(&c.candidate)
        );
    }
    for (version, n) in &report.by_release {
        if *version == 0 {
            out!("{n} call(s) under today's agents and plugins (they name no archived release)");
        } else {
            out!(
                "{n} call(s) under the agents and plugins of rules release {version}, as they were"
            );
        }
    }
    out!(
        "\n{} calls replayed: {} would change ({} allow → deny, {} deny → allow, {} allow → needs approval, {} other); {} not replayable (arguments not recorded)",
        report.replayed,
        report.changed.len(),
        report.count("allow", "deny"),
        report.count("deny", "allow"),
        report.count("allow", "needs-approval"),
        report.changed.len()
            - report.count("allow", "deny")
            - report.count("deny", "allow")
            - report.count("allow", "needs-approval"),
        report.skipped
    );
    host.shutdown("done").await;
    Ok(ExitCode::SUCCESS)
}
