//! `warrant policy test|schema|replay`: changing policy safely.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::authz::{describe, read_cases};
use crate::cli::ConfigArg;
use crate::vocab::safe;
use crate::{Host, HostConfig, HostOptions};

/// Test, inspect and replay policies.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Run policy test cases (TOML, `[[case]]`: agent, tool, task, args →
    /// expect allow | deny | needs-approval, and optionally the deciding
    /// policy ids) against the configured policies; exit 1 if any fails.
    Test {
        /// Case files (default: `[policy] tests` of the config).
        #[arg(long = "cases", value_name = "FILE")]
        cases: Vec<PathBuf>,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Print the Cedar schema policies are validated against (agents,
    /// plugins, tools with their typed arguments), for Cedar's own tools.
    Schema {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Re-decide the calls recorded in the audit chain under candidate
    /// policies, and list every decision that would change.
    Replay(super::policy_replay::Args),
}

pub async fn run(c: Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::Test { cases, config } => test(cases, &config).await,
        Command::Schema { config } => {
            let host = open_candidate(&config).await?;
            out!("{}", host.loaded().authz.policy().schema_text()?);
            host.shutdown("done").await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Replay(a) => super::policy_replay::run(a).await,
    }
}

/// The host of `config` with its plugins loaded, recording nothing.
pub(super) async fn open(config: &ConfigArg) -> anyhow::Result<Host> {
    let config = HostConfig::load(&config.config)?;
    Ok(Host::open(config, HostOptions::default()).await?)
}

/// A host under the rules the files make (proposed policies), which only
/// evaluates cases: nothing it decides is applied or served.
async fn open_candidate(config: &ConfigArg) -> anyhow::Result<Host> {
    let config = HostConfig::load(&config.config)?;
    Ok(Host::open(
        config,
        HostOptions {
            candidate_rules: true,
            ..HostOptions::default()
        },
    )
    .await?)
}

async fn test(files: Vec<PathBuf>, config: &ConfigArg) -> anyhow::Result<ExitCode> {
    let host = open_candidate(config).await?;
    let files = if files.is_empty() {
        host.config()
            .file
            .policy
            .tests
            .iter()
            .map(|f| host.config().resolve(f))
            .collect()
    } else {
        files
    };
    if files.is_empty() {
        anyhow::bail!("no case files: pass --cases FILE or list them under [policy] tests");
    }
    let cases = read_cases(&files)?;
    let loaded = host.loaded();
    let facts = |tool: &str| {
        loaded.registry.resolve(tool).map(|(p, t)| {
            let owner = p
                .action_owners
                .get(&t.name)
                .cloned()
                .unwrap_or_else(|| t.action_owner.clone());
            (t.impact.as_str().to_owned(), owner)
        })
    };
    let (mut passed, mut failed) = (0, 0);
    for case in &cases {
        let o = loaded.authz.policy().run_case(case, &facts);
        match &o.failure {
            None => {
                passed += 1;
                out!(
                    "ok    {} — {}",
                    safe(&case.name),
                    safe(&describe(&o.decision))
                );
            }
            Some(why) => {
                failed += 1;
                out!(
                    "FAIL  {} ({}): {}",
                    safe(&case.name),
                    case.file.display(),
                    safe(why)
                );
            }
        }
    }
    out!(
        "\n{passed} passed, {failed} failed ({} cases in {} file(s))",
        cases.len(),
        files.len()
    );
    host.shutdown("done").await;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
