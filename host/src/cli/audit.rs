//! `warrant audit verify|show|export`

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::audit::{AuditIndex, Filter, read_records, to_ocsf};
use crate::cli::audit_paths::{paths, progress};
use crate::vocab::safe_json;
use anyhow::{Context as _, anyhow};

/// Verify, read and export the audit chain.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Check every hash, link, MAC (when the host's audit key is readable)
    /// and signed checkpoint — and each checkpoint's Merkle root and
    /// witness cosignatures. Exit 0 if intact; 1 naming the first bad
    /// record and what is wrong (edited, missing, reordered, truncated).
    Verify(crate::cli::audit_verify::Args),
    /// An RFC 6962 inclusion proof of a record, or a consistency proof
    /// between two checkpoints, as JSON.
    Prove(crate::cli::audit_prove::Args),
    /// A readable timeline: prompt → decision (policy ids) → approval (who)
    /// → capability uses → outcome. A lookup by task, agent, call, trace or
    /// time reads only the records it needs, through the chain's index
    /// (`index.sqlite` beside the log, brought up to date first; without
    /// it, the whole chain is read).
    Show {
        /// Only this task.
        #[arg(long)]
        task: Option<String>,
        /// Only this agent.
        #[arg(long)]
        agent: Option<String>,
        /// Only this call (its call id).
        #[arg(long)]
        call: Option<String>,
        /// Only records at or after this time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Only the records of calls made in this W3C trace (the trace id
        /// the caller sent in `traceparent`: 32 hex digits).
        #[arg(long)]
        trace: Option<String>,
        /// Print the records as JSON lines.
        #[arg(long)]
        json: bool,
        /// The task's story across every host of the fleet (needs --task).
        #[arg(long)]
        fleet: bool,
        /// The log (default: the config's audit directory).
        #[arg(long)]
        log: Option<PathBuf>,
        /// The host config.
        #[arg(
            long,
            short = 'c',
            env = "WARRANT_CONFIG",
            default_value = "warrant.toml"
        )]
        config: PathBuf,
    },
    /// Rebuild the chain's index (`index.sqlite` beside the log) from the
    /// chain, or with --check say whether it matches the chain. The index
    /// only points into the chain — every record it finds is read back
    /// from the chain — so rebuilding it loses nothing.
    Reindex(crate::cli::audit_reindex::Args),
    /// Export for a SIEM, one event per line.
    Export {
        /// The format: ocsf (OCSF 1.3.0 API Activity events).
        #[arg(long, value_parser = ["ocsf"], default_value = "ocsf")]
        format: String,
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The log (default: the config's audit directory).
        #[arg(long)]
        log: Option<PathBuf>,
        /// The host config.
        #[arg(
            long,
            short = 'c',
            env = "WARRANT_CONFIG",
            default_value = "warrant.toml"
        )]
        config: PathBuf,
    },
}

pub async fn run(c: Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::Verify(a) => crate::cli::audit_verify::run(a).await,
        Command::Prove(a) => crate::cli::audit_prove::run(a),
        Command::Reindex(a) => crate::cli::audit_reindex::run(a),
        Command::Show {
            task,
            agent,
            call,
            since,
            trace,
            json,
            fleet,
            log,
            config,
        } => {
            if fleet {
                let task = task
                    .ok_or_else(|| anyhow!("--fleet needs --task: the task whose story to tell"))?;
                return crate::cli::fleet::show_task(&config, &task).await;
            }
            let (paths, cfg) = paths(log, &config)?;
            let since = since
                .map(|s| {
                    chrono::DateTime::parse_from_rfc3339(&s).map(|t| t.with_timezone(&chrono::Utc))
                })
                .transpose()
                .context("--since must be an RFC 3339 time, e.g. 2026-11-28T08:00:00Z")?;
            let filter = Filter {
                task,
                agent,
                since,
                call_id: call,
                trace: trace.map(|t| t.to_ascii_lowercase()),
            };
            let records = AuditIndex::beside(&paths.log)
                .records(&filter)
                .with_context(|| format!("cannot read {}", paths.log.display()))?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            if json {
                for r in &records {
                    writeln!(out, "{}", safe_json(&serde_json::to_string(r)?))?;
                }
            } else if records.is_empty() {
                writeln!(out, "no matching records")?;
            } else {
                let operators = cfg.as_ref().map(|c| c.operators.as_slice());
                let mut book = crate::audit::RuleBook::at(
                    paths.log.parent().unwrap_or(std::path::Path::new(".")),
                );
                write!(
                    out,
                    "{}",
                    crate::audit::timeline_under(&records, operators, &mut book)
                )?;
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            format: _,
            out,
            log,
            config,
        } => {
            let (paths, _) = paths(log, &config)?;
            let records = read_records(&paths.log, &Filter::default())
                .with_context(|| format!("cannot read {}", paths.log.display()))?;
            let mut sink: Box<dyn std::io::Write> = match &out {
                Some(p) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(p)
                        .with_context(|| format!("cannot create {}", p.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            let mut report = progress("exporting");
            let total = records.len() as u64;
            for (i, r) in records.iter().enumerate() {
                let line = safe_json(&serde_json::to_string(&to_ocsf(r))?);
                sink.write_all(line.as_bytes())?;
                sink.write_all(b"\n")?;
                if i % 5000 == 0 {
                    report(i as u64, total);
                }
            }
            report(total, total);
            sink.flush()?;
            if let Some(p) = out {
                eprintln!("wrote {total} OCSF events to {}", p.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
