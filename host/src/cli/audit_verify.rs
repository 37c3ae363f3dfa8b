//! `warrant audit verify`: the chain's hashes, links, MACs, checkpoints
//! and their notes (the Merkle root of the records, the witnesses'
//! cosignatures), operator signatures and releases of the rules — from
//! the host's signed mark of what it verified before, or (`--full`) from
//! the first record.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, anyhow};

use crate::audit::tlog::WitnessKey;
use crate::audit::{
    MarkOptions, Marked, Start, VerifyKeys, VerifyOptions, parse_public_key, verify_incremental,
};
use crate::cli::audit_paths::{paths, progress};
use crate::statedir::StateDir;

/// Arguments of `audit verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The log (default: the config's audit directory).
    #[arg(long)]
    pub log: Option<PathBuf>,
    /// The checkpoint public key: base64, or a file holding it (default:
    /// the host's). Lets anyone verify without the MAC key.
    #[arg(long)]
    pub key: Option<String>,
    /// Skip the MAC check even if the host's audit key is readable.
    #[arg(long)]
    pub no_mac: bool,
    /// A witness copy of the checkpoints (default: the config's
    /// `audit.witness`): truncation and forks are checked against it.
    #[arg(long)]
    pub witness: Option<PathBuf>,
    /// Fail unless the chain's last record is covered by a signed
    /// checkpoint (otherwise that is only reported).
    #[arg(long)]
    pub require_checkpoint: bool,
    /// The governors the chain's first release of the rules must be
    /// signed by: a TOML file with a `[governance]` table (your own
    /// record of them, e.g. the config as first signed). Without it, the
    /// first release is anchored to its own governors, and the output
    /// says so.
    #[arg(long, value_name = "FILE")]
    pub governors: Option<PathBuf>,
    /// Verify every host of the fleet (this config's [state] url):
    /// each chain, and each against the index and checkpoints it
    /// published; a missing, truncated or forked chain is named.
    #[arg(long)]
    pub fleet: bool,
    /// A witness whose cosignatures count: NAME=KEY (the witness's public
    /// key, base64, or a file holding it); repeat for each. Default: the
    /// config's `[[audit.witnesses]]`.
    #[arg(long = "witness-key", value_name = "NAME=KEY")]
    pub witness_keys: Vec<String>,
    /// Fail unless the newest checkpoint is cosigned by at least this many
    /// of those witnesses.
    #[arg(long, default_value_t = 0)]
    pub require_witnesses: usize,
    /// Verify every record from the first. Without it, verification goes
    /// on from the host's signed mark of what it verified before
    /// (verified.json beside the log): only the records appended since
    /// are read, with every check, and bound to the record the mark ends
    /// at — an edit before the mark that keeps every byte offset is found
    /// only with --full. Either way a verification with the host's keys
    /// leaves a new mark.
    #[arg(long)]
    pub full: bool,
    /// Threads that read records (parse, hash, check MACs) while one
    /// walks them in order. Default: one per core; 1 to leave the other
    /// cores to a serving host.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
    /// The host config.
    #[arg(
        long,
        short = 'c',
        env = "WARRANT_CONFIG",
        default_value = "warrant.toml"
    )]
    pub config: PathBuf,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let Args {
        log,
        key,
        no_mac,
        witness,
        require_checkpoint,
        governors,
        fleet,
        witness_keys,
        require_witnesses,
        full,
        threads,
        config,
    } = a;
    if fleet {
        return crate::cli::fleet_verify::verify(&config).await;
    }
    let (paths, cfg) = paths(log, &config)?;
    let mut keys = VerifyKeys::default();
    let state_dir = cfg
        .as_ref()
        .and_then(|c| StateDir::open_existing(&c.state_dir).ok());
    let mut how = MarkOptions { full, signer: None };
    if let Some(dir) = &state_dir {
        keys = VerifyKeys::from_state_dir(dir, !no_mac)?;
        how.signer = crate::audit::checkpoint_signer(dir)?;
    }
    if let Some(k) = key {
        keys.checkpoint = Some(parse_public_key(&k).map_err(|e| anyhow!(e))?);
    }
    keys.operators = cfg.as_ref().map(|c| c.operators.clone());
    keys.agents = cfg.as_ref().map(|c| c.agents.clone());
    // The first release is anchored to the governors an auditor
    // names; otherwise to its own (trust on first use, said so).
    keys.governors = governors.as_deref().map(anchor).transpose()?;
    keys.witnesses = if witness_keys.is_empty() {
        cfg.as_ref()
            .map(|c| crate::audit::tlog::WitnessKey::of(&c.audit.witnesses))
            .unwrap_or_default()
    } else {
        witness_keys
            .iter()
            .map(|w| witness_key(w))
            .collect::<anyhow::Result<_>>()?
    };
    let opts = VerifyOptions {
        witness: witness.or_else(|| cfg.as_ref().and_then(|c| c.audit.witness.clone())),
        require_checkpoint,
        require_witnesses,
        threads: threads.map_or(0, usize::from),
    };
    match verify_incremental(
        &paths.log,
        &paths.checkpoints,
        &keys,
        &opts,
        &how,
        &mut progress("verifying"),
    ) {
        Ok(v) => {
            let mut s = v.summary;
            // Calls written ahead to a journal (format 9) and not yet
            // recorded in the chain are open too.
            if let (Some(dir), Some(mac)) = (&state_dir, &keys.mac)
                && let Ok(live) = dir.subdir("live")
            {
                let (ahead, forged) = crate::mediation::pending_calls(&live, mac, &paths.log)?;
                s.open_calls.extend(ahead);
                if forged > 0 {
                    out!(
                        "warning: {forged} line(s) of the journals of calls about to run (live/) do not verify under this host's audit key"
                    );
                }
            }
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
            let signed_before = print_start(&v.start, s.records, full)?;
            crate::cli::audit_segments::print(&paths.log, s.records)?;
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
                "{} operator signature(s) verified against the operators' public keys{}",
                s.signed.len() as u64 + signed_before,
                if signed_before > 0 {
                    format!(" ({signed_before} of them under the mark)")
                } else {
                    String::new()
                }
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
            if s.notes > 0 {
                out!(
                    "{} checkpoint note(s) match the Merkle tree of the records (RFC 6962){}",
                    s.notes,
                    if s.cosigned.is_empty() {
                        String::from("; no witness cosignature")
                    } else {
                        format!(
                            "; cosigned by {}",
                            s.cosigned
                                .iter()
                                .map(|(w, n)| format!("{} (up to seq {n})", crate::vocab::safe(w)))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
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
            if let Marked::Not(why) = &v.marked {
                out!("note: this run left no verified mark ({why})");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(fault) => {
            out!("TAMPERED: {}", crate::vocab::safe(&fault.to_string()));
            Ok(ExitCode::from(1))
        }
    }
}

/// `NAME=KEY` → a witness key.
fn witness_key(arg: &str) -> anyhow::Result<WitnessKey> {
    let (name, key) = arg
        .split_once('=')
        .ok_or_else(|| anyhow!("--witness-key {arg:?}: give NAME=KEY"))?;
    Ok(WitnessKey {
        name: name.to_owned(),
        key: parse_public_key(key).map_err(|e| anyhow!("--witness-key {name}: {e}"))?,
    })
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

/// What `audit verify` says of where it started; the operator signatures
/// the mark covers.
fn print_start(start: &Start, records: u64, full: bool) -> std::io::Result<u64> {
    match start {
        Start::Mark {
            records: before,
            time,
            signed,
        } => {
            let now = if records > *before {
                format!("verified records {}..{records}", before + 1)
            } else {
                "no records appended since the mark".to_owned()
            };
            out!(
                "{now}; records 1..{before} verified on {time}, mark signed by the host's checkpoint key (--full reads them again)"
            );
            Ok(*signed)
        }
        Start::First { why: Some(why) } => {
            out!("note: {}; verified every record", crate::vocab::safe(why));
            Ok(0)
        }
        Start::First { why: None } => {
            if full {
                out!("verified every record (--full)");
            }
            Ok(0)
        }
    }
}
