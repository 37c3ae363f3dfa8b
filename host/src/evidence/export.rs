//! Exporting a task's evidence from the chains that hold it: the task's
//! records (prompts or arguments withheld on request — each record still
//! commits to them by digest), every `config.applied` record of those
//! chains, each with its inclusion proof in the newest checkpoint (the
//! most-cosigned note of that size), and the releases and files those
//! records name, from each chain's archive.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cap_std::fs::Dir;

use crate::audit::tlog::TreeFile;
use crate::audit::{ReleaseArchive, read_checkpoints};
use crate::evidence::bundle::{Bundle, ChainEvidence, EVIDENCE_FORMAT, ProvenRecord};
use crate::governance::Release;

/// Export task `task` from the chains in `audit_dirs` (one per host),
/// withholding `withheld` (`prompts`, `arguments`).
///
/// # Ambient Authority
///
/// Reads the audit directories the operator's config (or the fleet's
/// published paths) names.
///
/// # Errors
///
/// A sentence: no chain holds the task, a record is not covered by a
/// checkpoint yet, or a chain or archive cannot be read.
pub fn export(audit_dirs: &[&Path], task: &str, withheld: &[&str]) -> Result<Bundle, String> {
    let mut bundle = Bundle {
        format: EVIDENCE_FORMAT.into(),
        task: task.to_owned(),
        exported: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        withheld: withheld.iter().map(|w| (*w).to_owned()).collect(),
        chains: Vec::new(),
        releases: BTreeMap::new(),
        files: BTreeMap::new(),
    };
    for dir in audit_dirs {
        let Some(chain) = chain(dir, task, withheld)? else {
            continue;
        };
        let archive = ReleaseArchive::existing(dir).map_err(|e| e.to_string())?;
        for p in &chain.records {
            if p.record.kind != "config.applied" {
                continue;
            }
            let digest = p.record.str("digest").unwrap_or_default().to_owned();
            if bundle.releases.contains_key(&digest) {
                continue;
            }
            let doc = archive.release(&digest).map_err(|e| e.to_string())?;
            let release = Release::parse(&doc).map_err(|e| e.to_string())?;
            // `secret:` pins (HMAC trust keys, credential values) are
            // digests of values never archived: nothing to export.
            let archived = release
                .files
                .iter()
                .filter(|(p, d)| !p.starts_with("secret:") && d.starts_with("sha256:"));
            for (_, pin) in archived {
                let hex = pin.trim_start_matches("sha256:").to_owned();
                if let std::collections::btree_map::Entry::Vacant(e) = bundle.files.entry(hex) {
                    e.insert(B64.encode(archive.file(pin).map_err(|e| e.to_string())?));
                }
            }
            bundle.releases.insert(
                digest,
                serde_json::from_slice(&doc).map_err(|e| e.to_string())?,
            );
        }
        bundle.chains.push(chain);
    }
    if bundle.chains.is_empty() {
        return Err(format!("no chain holds a record of task {task}"));
    }
    Ok(bundle)
}

/// One chain's part, or `None` when it holds nothing of the task.
fn chain(dir: &Path, task: &str, withheld: &[&str]) -> Result<Option<ChainEvidence>, String> {
    let checkpoints =
        read_checkpoints(&dir.join("checkpoints.jsonl")).map_err(|e| e.to_string())?;
    // The newest checkpoint with a note; of those, the most cosigned.
    let Some(cp) = checkpoints
        .iter()
        .filter(|c| c.note.is_some())
        .max_by_key(|c| {
            (
                c.seq,
                c.note.as_deref().map_or(0, |n| n.matches("\n— ").count()),
            )
        })
    else {
        return Ok(None);
    };
    let size = cp.seq;
    let log = dir.join("audit.jsonl");
    // Only the task's records and the releases of the rules, through the
    // chain's index (each read back from the chain).
    let index = crate::audit::AuditIndex::beside(&log);
    let read = |e: std::io::Error| format!("{}: {e}", log.display());
    let mut wanted = index.records_of_task(task).map_err(read)?;
    wanted.extend(index.rules_records().map_err(read)?);
    wanted.sort_by_key(|r| r.seq);
    wanted.dedup_by_key(|r| r.seq);
    let mut records = Vec::new();
    let mut of_task = 0;
    for r in wanted {
        let mine = r.event().is_some_and(|e| e.task() == Some(task));
        if !(mine || r.kind == "config.applied") {
            continue;
        }
        if r.seq > size {
            if mine {
                return Err(format!(
                    "record {} of task {task} in {} is newer than the chain's last checkpoint (seq {size}): export again after the next checkpoint (a running host makes one within seconds)",
                    r.seq,
                    log.display()
                ));
            }
            continue;
        }
        of_task += usize::from(mine);
        records.push(r.redacted(withheld));
    }
    if of_task == 0 {
        return Ok(None);
    }
    let d = Dir::open_ambient_dir(dir, cap_std::ambient_authority()).map_err(|e| e.to_string())?;
    let tree = TreeFile::open_read(&d)?;
    let proven = records
        .into_iter()
        .map(|r| {
            let proof = tree.inclusion(size, r.seq)?;
            Ok(ProvenRecord {
                proof: proof.iter().map(|h| B64.encode(h.0)).collect(),
                record: r,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let host = proven
        .iter()
        .find_map(|p| p.record.host.clone())
        .unwrap_or_default();
    Ok(Some(ChainEvidence {
        host,
        checkpoint: cp.note.clone().unwrap_or_default(),
        records: proven,
    }))
}
