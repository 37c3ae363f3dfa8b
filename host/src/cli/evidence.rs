//! `warrant evidence export|verify|keys`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow};

use crate::HostConfig;
use crate::audit::AuditKeys;
use crate::evidence::{Bundle, EvidenceKeys, export, verify_bundle, write_keys};
use crate::statedir::StateDir;

/// Evidence of one task that an outsider verifies with public keys only.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Write one self-contained file for a task: its records from every
    /// host (with --fleet), each with an inclusion proof in a witnessed
    /// checkpoint, the operator signatures, the releases of the rules in
    /// force and the files they pin (signed manifests, public keys).
    Export {
        /// The task.
        #[arg(long)]
        task: String,
        /// Withhold these from the records: `prompts`, `arguments`
        /// (comma-separated). Each record still commits to them by digest.
        #[arg(long, value_delimiter = ',', value_parser = ["prompts", "arguments"])]
        redact: Vec<String>,
        /// Every host of the fleet (this config's [state] url).
        #[arg(long)]
        fleet: bool,
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The host config.
        #[arg(
            long,
            short = 'c',
            env = "WARRANT_CONFIG",
            default_value = "warrant.toml"
        )]
        config: PathBuf,
    },
    /// Verify an evidence file on any machine, with public keys only and
    /// no state; say what it proves in plain words. Exit 1 naming the
    /// first altered, missing or unproven part.
    Verify {
        /// The evidence file.
        file: PathBuf,
        /// The public keys you trust: hosts/<id>.pub, witnesses.toml,
        /// governors.toml (`warrant evidence keys` writes them; keep them on
        /// your own record).
        #[arg(long, value_name = "DIR")]
        keys: PathBuf,
        /// Fail unless every checkpoint is cosigned by this many of the
        /// witnesses in witnesses.toml.
        #[arg(long, default_value_t = 0)]
        require_witnesses: usize,
    },
    /// Write the public keys an auditor needs into a directory: the
    /// hosts' checkpoint keys (with --fleet, every host's), the witnesses
    /// and the governors of the rules.
    Keys {
        /// Where to write them.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Every host of the fleet.
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
}

pub async fn run(c: Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::Export {
            task,
            redact,
            fleet,
            out: file,
            config,
        } => {
            let cfg = HostConfig::load(&config)?;
            let dirs = chains(&cfg, &config, fleet).await?;
            let dirs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
            let withheld: Vec<&str> = redact.iter().map(String::as_str).collect();
            let bundle = export(&dirs, &task, &withheld).map_err(|e| anyhow!(e))?;
            let text = serde_json::to_vec_pretty(&bundle)?;
            std::fs::write(&file, text).with_context(|| format!("{}", file.display()))?;
            let n: usize = bundle.chains.iter().map(|c| c.records.len()).sum();
            out!(
                "wrote {} — {n} record(s) of task {} from {} host(s), {} release(s) of the rules{}",
                file.display(),
                crate::vocab::safe(&task),
                bundle.chains.len(),
                bundle.releases.len(),
                if withheld.is_empty() {
                    String::new()
                } else {
                    format!("; withheld: {}", withheld.join(", "))
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            file,
            keys,
            require_witnesses,
        } => {
            let text = std::fs::read(&file).with_context(|| format!("{}", file.display()))?;
            let bundle: Bundle = serde_json::from_slice(&text)
                .with_context(|| format!("{} is not an evidence file", file.display()))?;
            let keys = EvidenceKeys::load(&keys).map_err(|e| anyhow!(e))?;
            match verify_bundle(&bundle, &keys, require_witnesses) {
                Ok(report) => {
                    out!("VERIFIED: {}", file.display());
                    for l in report.lines {
                        out!("  {}", crate::vocab::safe(&l));
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(why) => {
                    out!("NOT VERIFIED: {}", crate::vocab::safe(&why));
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Keys {
            out: dir,
            fleet,
            config,
        } => {
            let cfg = HostConfig::load(&config)?;
            let mut hosts = Vec::new();
            if fleet {
                let state = crate::operator::open_state(&cfg, &StateDir::create(&cfg.state_dir)?)?;
                let f = state
                    .fleet()
                    .ok_or_else(|| anyhow!("not a fleet: [state] is not PostgreSQL"))?;
                for h in f.hosts().await? {
                    let k = crate::audit::parse_public_key(&h.checkpoint_key)
                        .map_err(|e| anyhow!(e))?;
                    hosts.push((h.host, k));
                }
            } else {
                let keys = AuditKeys::load_or_create(&StateDir::create(&cfg.state_dir)?)?;
                hosts.push((keys.host_id(), keys.checkpoint.verifying_key()));
            }
            let witnesses: Vec<_> = crate::audit::tlog::WitnessKey::of(&cfg.audit.witnesses);
            write_keys(
                &dir,
                &hosts,
                &witnesses,
                Some((&cfg.file.governance, &cfg.dir)),
            )
            .map_err(|e| anyhow!(e))?;
            out!(
                "wrote the public keys of {} host(s), {} witness(es) and the governors to {} — compare them with what you received through your own channel",
                hosts.len(),
                witnesses.len(),
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The audit directories to export from: this host's, or every fleet
/// host's published one.
async fn chains(cfg: &HostConfig, _config: &Path, fleet: bool) -> anyhow::Result<Vec<PathBuf>> {
    if !fleet {
        return Ok(vec![cfg.audit.dir.clone()]);
    }
    let state = crate::operator::open_state(cfg, &StateDir::create(&cfg.state_dir)?)?;
    let f = state
        .fleet()
        .ok_or_else(|| anyhow!("--fleet needs a PostgreSQL [state]"))?;
    Ok(f.hosts()
        .await?
        .into_iter()
        .map(|h| PathBuf::from(h.audit_dir))
        .collect())
}
