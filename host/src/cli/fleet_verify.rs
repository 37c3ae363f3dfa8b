//! `audit verify --fleet`: every host's chain, from what it shipped to the
//! shared store — so it runs on any machine with read access to the
//! database, without the hosts' disks — and, where a host's own chain is
//! readable here too, that chain checked against what it published.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::anyhow;

use crate::HostConfig;
use crate::audit::ReleaseArchive;
use crate::audit::{
    AuditPaths, Checkpoint, Filter, VerifyKeys, VerifyOptions, parse_public_key, read_records,
    verify_chain,
};
use crate::governance::Release;
use crate::state::{FleetHost, FleetRegistry, PublishedCheckpoint, SharedState};
use crate::vocab::safe;

/// `audit verify --fleet`: every host's shipped chain verified (hashes,
/// links, signed checkpoints, operator signatures); the records a host
/// published or checkpointed but never shipped — lost with its disk — are
/// counted; a host's own chain, where readable here, is checked against
/// what it published: missing, shorter (truncated) or different (forked).
pub async fn verify(config: &Path) -> anyhow::Result<ExitCode> {
    let (cfg, state) = crate::cli::fleet::state(config)?;
    let fleet = state.fleet().ok_or_else(|| anyhow!("not a fleet"))?;
    let hosts = fleet.hosts().await?;
    let mut bad = 0;
    for h in &hosts {
        match check(&cfg, state.as_ref(), fleet, h).await {
            Ok(lines) => {
                for (i, l) in lines.iter().enumerate() {
                    if i == 0 {
                        out!("host {}: OK — {}", safe(&h.host), safe(l));
                    } else {
                        out!("  {}", safe(l));
                    }
                }
            }
            Err(why) => {
                bad += 1;
                out!("host {}: {}", safe(&h.host), safe(&why));
            }
        }
    }
    if bad == 0 {
        out!(
            "OK: {} host(s) verified from what they shipped and published",
            hosts.len()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        out!("TAMPERED: {bad} of {} host(s) do not verify", hosts.len());
        Ok(ExitCode::from(1))
    }
}

async fn check(
    cfg: &HostConfig,
    state: &dyn SharedState,
    fleet: &dyn FleetRegistry,
    h: &FleetHost,
) -> Result<Vec<String>, String> {
    let db = |e: crate::state::StateError| format!("the shared store: {e}");
    let published = fleet.host_records(&h.host).await.map_err(db)?;
    let checkpoints = fleet.host_checkpoints(&h.host).await.map_err(db)?;
    let shipped = fleet.shipped(&h.host).await.map_err(db)?;
    let pk = parse_public_key(&h.checkpoint_key)
        .map_err(|e| format!("its published checkpoint key is unusable: {e}"))?;
    let keys = VerifyKeys {
        mac: None,
        checkpoint: Some(pk),
        operators: (!cfg.operators.is_empty()).then(|| cfg.operators.clone()),
        agents: (!cfg.agents.is_empty()).then(|| cfg.agents.clone()),
        governors: None,
        witnesses: crate::audit::tlog::WitnessKey::of(&cfg.audit.witnesses),
    };
    let scratch = tempfile::tempdir().map_err(|e| format!("no scratch directory: {e}"))?;
    releases(state, scratch.path()).await?;
    let mut lines = vec![verify_shipped(
        &keys,
        scratch.path(),
        &shipped,
        &published,
        &checkpoints,
    )?];
    let paths = AuditPaths::in_dir(&PathBuf::from(&h.audit_dir));
    if paths.log.exists() {
        let shipped_to = shipped.last().map_or(0, |s| s.0);
        lines.push(check_local(
            &keys,
            &paths,
            &published,
            &checkpoints,
            shipped_to,
        )?);
    } else {
        lines.push(format!(
            "its own chain is not readable here ({}): verified from the shared store alone",
            paths.log.display()
        ));
    }
    Ok(lines)
}

/// The releases of the rules in the shared state, laid out as the archive
/// beside a chain in `dir` (each release checked against the chain's
/// records of it by the verifier, as for a chain on disk).
async fn releases(state: &dyn SharedState, dir: &Path) -> Result<(), String> {
    let db = |e: crate::state::StateError| format!("the shared store's releases: {e}");
    let Some(top) = state.release_in_force().await.map_err(db)? else {
        return Ok(());
    };
    let archive = ReleaseArchive::open(dir).map_err(|e| e.to_string())?;
    for v in 1..=top.version {
        let Some(r) = state.release(v).await.map_err(db)? else {
            continue;
        };
        archive
            .put_release(&r.digest, &r.doc)
            .map_err(|e| e.to_string())?;
        let doc = Release::parse(&r.doc).map_err(|e| format!("release {v}: {e}"))?;
        for (path, digest) in &doc.files {
            if path.starts_with("secret:") || archive.has_file(digest) {
                continue;
            }
            if let Some(bytes) = state.release_file(digest).await.map_err(db)? {
                archive
                    .put_file(digest, &bytes)
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

/// The chain a host shipped, verified as a chain of its own: the longest
/// run from seq 1, laid out in `scratch` as a log with the checkpoints it
/// covers.
fn verify_shipped(
    keys: &VerifyKeys,
    scratch: &Path,
    shipped: &[(i64, String)],
    published: &[(i64, String)],
    checkpoints: &[PublishedCheckpoint],
) -> Result<String, String> {
    let run = shipped
        .iter()
        .zip(1..)
        .take_while(|((seq, _), want)| *seq == *want)
        .count();
    let last = i64::try_from(run).unwrap_or(i64::MAX);
    let paths = AuditPaths::in_dir(scratch);
    let io = |e: std::io::Error| format!("the scratch copy: {e}");
    let mut log = std::fs::File::create(&paths.log).map_err(io)?;
    for (_, line) in shipped.iter().take(run) {
        writeln!(log, "{line}").map_err(io)?;
    }
    let mut cps = std::fs::File::create(&paths.checkpoints).map_err(io)?;
    for c in checkpoints.iter().filter(|c| c.seq <= last) {
        writeln!(cps, "{}", c.line).map_err(io)?;
    }
    drop((log, cps));
    let sum = verify_chain(
        &paths.log,
        &paths.checkpoints,
        keys,
        &VerifyOptions::default(),
        &mut |_, _| {},
    )
    .map_err(|f| format!("TAMPERED in the shared store: {f}"))?;
    // What it shipped is what it indexed.
    let hashes: HashMap<i64, String> = shipped
        .iter()
        .take(run)
        .filter_map(|(seq, line)| {
            let r: crate::audit::Record = serde_json::from_str(line).ok()?;
            Some((*seq, r.hash))
        })
        .collect();
    for (seq, hash) in published.iter().filter(|(s, _)| *s <= last) {
        if hashes.get(seq).is_some_and(|h| h != hash) {
            return Err(format!(
                "FORKED in the shared store at seq {seq}: the record shipped is not the one indexed"
            ));
        }
    }
    let known = published
        .last()
        .map_or(0, |p| p.0)
        .max(checkpoints.last().map_or(0, |c| c.seq));
    let unshipped = known.saturating_sub(last);
    Ok(format!(
        "{} record(s) shipped and intact ({} checkpoint(s) verified, last at seq {}, {} operator signature(s) verified){}",
        sum.records,
        sum.checkpoints,
        sum.last_checkpoint,
        sum.signed.len(),
        if unshipped > 0 {
            format!(
                "; NOT SHIPPED: {unshipped} record(s) it published or checkpointed (seq {}–{known}) are not in the shared store — lost if its disk is",
                last + 1
            )
        } else {
            String::new()
        }
    ))
}

/// A host's own chain, read here: verified, and the same as it published.
fn check_local(
    keys: &VerifyKeys,
    paths: &AuditPaths,
    published: &[(i64, String)],
    checkpoints: &[PublishedCheckpoint],
    shipped_to: i64,
) -> Result<String, String> {
    let pk = keys.checkpoint.ok_or("no checkpoint key")?;
    let sum = verify_chain(
        &paths.log,
        &paths.checkpoints,
        keys,
        &VerifyOptions::default(),
        &mut |_, _| {},
    )
    .map_err(|f| format!("TAMPERED: {f}"))?;
    let chain: HashMap<i64, String> = read_records(&paths.log, &Filter::default())
        .map_err(|e| format!("unreadable: {e}"))?
        .into_iter()
        .map(|r| (i64::try_from(r.seq).unwrap_or(i64::MAX), r.hash))
        .collect();
    let last = chain.keys().max().copied().unwrap_or(0);
    for (seq, hash) in published {
        match chain.get(seq) {
            None if *seq > last => {
                return Err(format!(
                    "TRUNCATED: it published records up to seq {}, its chain ends at seq {last}",
                    published.last().map_or(0, |p| p.0)
                ));
            }
            None => {
                return Err(format!(
                    "FORKED: its published record seq {seq} is not in its chain"
                ));
            }
            Some(h) if h != hash => {
                return Err(format!(
                    "FORKED at seq {seq}: published hash {hash}, the chain has {h}"
                ));
            }
            Some(_) => {}
        }
    }
    for c in checkpoints {
        let cp: Checkpoint = serde_json::from_str(&c.line)
            .map_err(|e| format!("a published checkpoint is unreadable: {e}"))?;
        if !cp.verifies(&pk) {
            return Err(format!(
                "its published checkpoint at seq {} does not verify under its key",
                c.seq
            ));
        }
        match chain.get(&c.seq) {
            Some(hash) if *hash == c.head => {}
            Some(_) => {
                return Err(format!(
                    "FORKED: its chain differs from its published checkpoint at seq {}",
                    c.seq
                ));
            }
            None => {
                return Err(format!(
                    "TRUNCATED: it published a checkpoint at seq {}, its chain ends at seq {last}",
                    c.seq
                ));
            }
        }
    }
    Ok(format!(
        "its own chain here: {} records ({} published, {} published checkpoints), the same as it published{}",
        sum.records,
        published.len(),
        checkpoints.len(),
        if last > shipped_to {
            format!(
                "; {} record(s) (seq {}–{last}) not shipped yet: a running host ships them within seconds, a dead one when it starts again",
                last - shipped_to,
                shipped_to + 1
            )
        } else {
            String::new()
        }
    ))
}
