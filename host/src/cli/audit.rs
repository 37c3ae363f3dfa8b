//! `warrant audit verify|show|export`

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::HostConfig;
use crate::audit::{
    AuditPaths, Filter, VerifyKeys, VerifyOptions, parse_public_key, read_records, to_ocsf,
    verify_chain,
};
use crate::statedir::StateDir;
use crate::vocab::safe_json;
use anyhow::{Context as _, anyhow};

/// Verify, read and export the audit chain.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Check every hash, link, MAC (when the host's audit key is readable)
    /// and signed checkpoint. Exit 0 if intact; 1 naming the first bad
    /// record and what is wrong (edited, missing, reordered, truncated).
    Verify {
        /// The log (default: the config's audit directory).
        #[arg(long)]
        log: Option<PathBuf>,
        /// The checkpoint public key: base64, or a file holding it (default:
        /// the host's). Lets anyone verify without the MAC key.
        #[arg(long)]
        key: Option<String>,
        /// Skip the MAC check even if the host's audit key is readable.
        #[arg(long)]
        no_mac: bool,
        /// A witness copy of the checkpoints (default: the config's
        /// `audit.witness`): truncation and forks are checked against it.
        #[arg(long)]
        witness: Option<PathBuf>,
        /// Fail unless the chain's last record is covered by a signed
        /// checkpoint (otherwise that is only reported).
        #[arg(long)]
        require_checkpoint: bool,
        /// The governors the chain's first release of the rules must be
        /// signed by: a TOML file with a `[governance]` table (your own
        /// record of them, e.g. the config as first signed). Without it, the
        /// first release is anchored to its own governors, and the output
        /// says so.
        #[arg(long, value_name = "FILE")]
        governors: Option<PathBuf>,
        /// Verify every host of the fleet (this config's [state] url):
        /// each chain, and each against the index and checkpoints it
        /// published; a missing, truncated or forked chain is named.
        #[arg(long)]
        fleet: bool,
        /// The host config.
        #[arg(
            long,
            short = 'c',
            env = "WARRANT_CONFIG",
            default_value = "warrant.toml"
        )]
        config: PathBuf,
    },
    /// A readable timeline: prompt → decision (policy ids) → approval (who)
    /// → capability uses → outcome.
    Show {
        /// Only this task.
        #[arg(long)]
        task: Option<String>,
        /// Only this agent.
        #[arg(long)]
        agent: Option<String>,
        /// Only records at or after this time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
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

fn paths(
    log: Option<PathBuf>,
    config: &std::path::Path,
) -> anyhow::Result<(AuditPaths, Option<HostConfig>)> {
    let cfg = HostConfig::load(config).ok();
    let paths = match (log, &cfg) {
        (Some(l), _) => AuditPaths {
            checkpoints: l.with_file_name("checkpoints.jsonl"),
            log: l,
        },
        (None, Some(c)) => AuditPaths::in_dir(&c.audit_dir()),
        (None, None) => {
            return Err(anyhow!(
                "no --log given and no usable config at {}",
                config.display()
            ));
        }
    };
    Ok((paths, cfg))
}

fn progress(label: &'static str) -> impl FnMut(u64, u64) {
    let start = std::time::Instant::now();
    move |done, total| {
        if start.elapsed().as_millis() > 300 && total > 0 {
            eprint!(
                "\r{label}: {:>3}% ({done} of {total} bytes)",
                done * 100 / total
            );
            if done == total {
                eprintln!();
            }
        }
    }
}

pub async fn run(c: Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::Verify {
            log,
            key,
            no_mac,
            witness,
            require_checkpoint,
            governors,
            fleet,
            config,
        } => {
            if fleet {
                return crate::cli::fleet::verify(&config).await;
            }
            let (paths, cfg) = paths(log, &config)?;
            let mut keys = VerifyKeys::default();
            if let Some(c) = &cfg
                && let Ok(dir) = StateDir::open_existing(&c.state_dir)
            {
                keys = VerifyKeys::from_state_dir(&dir, !no_mac)?;
            }
            if let Some(k) = key {
                keys.checkpoint = Some(parse_public_key(&k).map_err(|e| anyhow!(e))?);
            }
            keys.operators = cfg.as_ref().map(|c| c.operators.clone());
            keys.agents = cfg.as_ref().map(|c| c.agents.clone());
            // The first release is anchored to the governors an auditor
            // names; otherwise to its own (trust on first use, said so).
            keys.governors = governors.as_deref().map(anchor).transpose()?;
            let opts = VerifyOptions {
                witness: witness.or_else(|| cfg.as_ref().and_then(|c| c.audit.witness.clone())),
                require_checkpoint,
            };
            match verify_chain(
                &paths.log,
                &paths.checkpoints,
                &keys,
                &opts,
                &mut progress("verifying"),
            ) {
                Ok(s) => {
                    out!(
                        "OK: {} records intact ({} MACs checked{}; {} checkpoints verified{}, last at seq {})",
                        s.records,
                        s.macs_checked,
                        if keys.mac.is_none() {
                            ", MAC key not available"
                        } else {
                            ""
                        },
                        s.checkpoints,
                        if opts.witness.is_some() {
                            format!(", {} against the witness", s.witness_checkpoints)
                        } else {
                            String::new()
                        },
                        s.last_checkpoint
                    );
                    for r in &s.signed {
                        out!(
                            "  seq {} {}: signed by {} with key {} at {} — signature verified",
                            r.seq,
                            r.kind,
                            crate::vocab::safe(&r.operator),
                            crate::vocab::safe(&r.key),
                            r.signed_at
                        );
                    }
                    out!(
                        "{} operator signature(s) verified against the operators' public keys",
                        s.signed.len()
                    );
                    if s.legacy_unsigned > 0 {
                        out!(
                            "note: {} operator record(s) predate format 3 and carry no operator signature",
                            s.legacy_unsigned
                        );
                    }
                    if s.unchecked > 0 {
                        out!(
                            "warning: {} operator signature(s) not checked: no host config with [[operators]] (pass --config)",
                            s.unchecked
                        );
                    }
                    print_releases(&s.releases)?;
                    if !s.open_calls.is_empty() {
                        out!(
                            "note: {} call(s) decided without an outcome yet — running now, or interrupted by a crash the host records at its next start: {}",
                            s.open_calls.len(),
                            crate::vocab::safe(&s.open_calls.join(", "))
                        );
                    }
                    if keys.checkpoint.is_none() {
                        out!(
                            "warning: no checkpoint key: truncation of the tail cannot be detected (pass --key)"
                        );
                    } else if s.uncovered > 0 {
                        out!(
                            "note: the last {} record(s) are not covered by a signed checkpoint yet: their deletion would not be detected{}",
                            s.uncovered,
                            if opts.witness.is_none() {
                                "; a witness (audit.witness) also catches a deleted checkpoints file"
                            } else {
                                ""
                            }
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(fault) => {
                    out!("TAMPERED: {}", crate::vocab::safe(&fault.to_string()));
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Show {
            task,
            agent,
            since,
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
            let records = read_records(
                &paths.log,
                &Filter {
                    task,
                    agent,
                    since,
                    call_id: None,
                },
            )
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

/// The governors an auditor anchors the first release to.
fn anchor(file: &std::path::Path) -> anyhow::Result<crate::config::Governance> {
    let text = std::fs::read_to_string(file).with_context(|| format!("{}", file.display()))?;
    let parsed: crate::config::ConfigFile =
        toml::from_str(&text).with_context(|| format!("{}", file.display()))?;
    let dir = file.parent().unwrap_or(std::path::Path::new("."));
    crate::config::parse_governance(&parsed.governance, dir, &crate::config::RuleFiles::Disk)
        .map_err(|why| anyhow!("{}: {why}", file.display()))
}

/// What `audit verify` says of the rules.
fn print_releases(releases: &[crate::audit::VerifiedRelease]) -> std::io::Result<()> {
    for r in releases {
        out!(
            "  rules: release {} ({}) — {}{}",
            r.version,
            r.digest,
            if r.mode == "signed" {
                format!("signed by {}", crate::vocab::safe(&r.signers.join(", ")))
            } else {
                "UNSIGNED (development mode: nobody signed these rules)".into()
            },
            r.anchor
                .as_ref()
                .map_or(String::new(), |a| format!("; {a}"))
        );
    }
    let unsigned = releases.iter().filter(|r| r.mode != "signed").count();
    if !releases.is_empty() {
        out!(
            "{} release(s) of the rules verified{}; every operator signature was checked against the operators of the release its record names",
            releases.len(),
            if unsigned > 0 {
                format!(" — {unsigned} of them UNSIGNED: the rules were not signed by governors")
            } else {
                String::new()
            }
        );
    }
    Ok(())
}
