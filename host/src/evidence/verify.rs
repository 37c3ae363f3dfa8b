//! Verifying an evidence file with public keys only and no state: each
//! checkpoint signed by its host's key (and cosigned by the witnesses the
//! auditor trusts), each record's hash (withheld fields by their digest)
//! and its inclusion in that checkpoint, each release of the rules signed
//! by a quorum of the governors in force before it (the first by the
//! auditor's anchor), each operator signature under the rules its record
//! names, each plugin that ran against the manifest its release pins and
//! the publisher keys of that release — and that nothing the records refer
//! to is missing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use tlog_tiles::{Hash, record_hash};

use crate::audit::tlog::{WitnessKey, leaf, open_checkpoint, origin_of_key};
use crate::audit::{Checked, Record, ReleaseArchive, RulesSeen, VerifyKeys};
use crate::config::Governance;
use crate::evidence::bundle::{Bundle, ChainEvidence, EVIDENCE_FORMAT};
use crate::evidence::plugins::check_plugins;
use crate::governance::Release;

/// What an auditor trusts: public keys only.
#[derive(Debug, Clone, Default)]
pub struct EvidenceKeys {
    /// The hosts' checkpoint public keys.
    pub hosts: Vec<ed25519_dalek::VerifyingKey>,
    /// The witnesses whose cosignatures count.
    pub witnesses: Vec<WitnessKey>,
    /// The governors the first release must be signed by (without them,
    /// its own, and the report says so).
    pub governors: Option<Governance>,
}

/// What the evidence proves, in plain words, one statement per line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The statements.
    pub lines: Vec<String>,
}

/// Verify `bundle` under `keys`, requiring `witnesses` cosignatures on
/// every checkpoint.
///
/// # Errors
///
/// A sentence naming what does not hold: the first altered, missing or
/// unproven part.
pub fn verify_bundle(
    bundle: &Bundle,
    keys: &EvidenceKeys,
    witnesses: usize,
) -> Result<Report, String> {
    if bundle.format != EVIDENCE_FORMAT {
        return Err(format!(
            "format {:?}: this verifier reads {EVIDENCE_FORMAT}",
            bundle.format
        ));
    }
    // The releases and files, checked against their digests, laid out as
    // a chain's archive so the chain's own checks read them.
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let archive = ReleaseArchive::open(tmp.path()).map_err(|e| e.to_string())?;
    for (hex, b64) in &bundle.files {
        let bytes = B64
            .decode(b64)
            .map_err(|_| format!("file {hex}: not base64"))?;
        if crate::keys::sha256_hex(&bytes) != *hex {
            return Err(format!(
                "file sha256:{hex} was altered: its content has another digest"
            ));
        }
        archive
            .put_file(&format!("sha256:{hex}"), &bytes)
            .map_err(|e| e.to_string())?;
    }
    let mut releases = BTreeMap::new();
    for (digest, doc) in &bundle.releases {
        let release = Release::parse(&crate::vocab::to_canonical(doc))
            .map_err(|e| format!("release {digest}: {e}"))?;
        if release.digest() != *digest {
            return Err(format!(
                "release {digest} was altered: its content has digest {}",
                release.digest()
            ));
        }
        archive
            .put_release(digest, &release.canonical())
            .map_err(|e| e.to_string())?;
        releases.insert(digest.clone(), release);
    }
    let mut lines = Vec::new();
    let mut all: Vec<&Record> = Vec::new();
    let mut approvals: BTreeMap<String, String> = BTreeMap::new();
    for chain in &bundle.chains {
        let signed = check_chain(chain, keys, witnesses, tmp.path(), &mut lines)?;
        for s in signed {
            approvals.insert(s.0, s.1);
        }
        all.extend(chain.records.iter().map(|p| &p.record));
    }
    complete(&all)?;
    lines.extend(check_plugins(&all, &releases, &archive)?);
    let events: Vec<_> = all
        .iter()
        .filter_map(|r| r.event())
        .filter(|e| e.task() == Some(bundle.task.as_str()))
        .collect();
    // Refused attempts whose token did not verify only claimed the task.
    let claimed = events
        .iter()
        .filter_map(|e| e.attribution())
        .filter(|a| a.task.is_none())
        .map(|a| a.call_id.as_deref())
        .collect::<BTreeSet<_>>()
        .len();
    lines.insert(
        0,
        format!(
            "{} record(s) of task {} on {} host(s), each included in a signed checkpoint of its host's chain{}",
            events.len(),
            bundle.task,
            bundle.chains.len(),
            if claimed == 0 {
                String::new()
            } else {
                format!(
                    "; {claimed} refused attempt(s) among them whose token did not verify and only claimed the task"
                )
            }
        ),
    );
    for (what, by) in approvals {
        lines.push(format!("{what} — {by}"));
    }
    if !bundle.withheld.is_empty() {
        lines.push(format!(
            "withheld: {} (each record commits to them by digest)",
            bundle.withheld.join(", ")
        ));
    }
    Ok(Report { lines })
}

/// One chain: its checkpoint, records, inclusion proofs, releases and
/// operator signatures; the signed actions found, in words.
fn check_chain(
    chain: &ChainEvidence,
    keys: &EvidenceKeys,
    witnesses: usize,
    archive_dir: &Path,
    lines: &mut Vec<String>,
) -> Result<Vec<(String, String)>, String> {
    let origin = crate::audit::tlog::origin(&chain.host);
    let key = keys
        .hosts
        .iter()
        .find(|k| origin_of_key(k) == origin)
        .ok_or_else(|| {
            format!(
                "no checkpoint key of host {} among the keys given",
                chain.host
            )
        })?;
    let cp = open_checkpoint(&chain.checkpoint, key, &keys.witnesses)
        .map_err(|why| format!("host {}'s checkpoint: {why}", chain.host))?;
    if cp.witnessed_by.len() < witnesses {
        return Err(format!(
            "host {}'s checkpoint (size {}) is cosigned by {} of the {witnesses} witness(es) required",
            chain.host,
            cp.size,
            cp.witnessed_by.len()
        ));
    }
    lines.push(format!(
        "host {}: checkpoint of {} records, signed by its key{}",
        chain.host,
        cp.size,
        if cp.witnessed_by.is_empty() {
            ", witnessed by none of the witnesses given".to_owned()
        } else {
            format!(", witnessed by {}", cp.witnessed_by.join(", "))
        }
    ));
    let mut rules = RulesSeen::new(&archive_dir.join("audit.jsonl"), keys.governors.clone());
    let mut signed = Vec::new();
    let mut last = 0;
    for (i, p) in chain.records.iter().enumerate() {
        let r = &p.record;
        let at = format!("record {} ({}) of host {}", r.seq, r.kind, chain.host);
        if r.seq <= last {
            return Err(format!("{at} is out of order"));
        }
        last = r.seq;
        if r.host.as_deref() != Some(chain.host.as_str()) {
            return Err(format!("{at} names another host"));
        }
        if r.compute_hash() != r.hash {
            return Err(format!(
                "{at} was altered: its content does not match its hash"
            ));
        }
        let proof = p
            .proof
            .iter()
            .map(|h| {
                B64.decode(h)
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
                    .map(Hash)
                    .ok_or_else(|| format!("{at}: its proof holds {h:?}, not a hash"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let leaf_hash = record_hash(&leaf(&r.hash)?);
        if r.seq > cp.size
            || tlog_tiles::check_record(&proof, cp.size, cp.root, r.seq - 1, leaf_hash).is_err()
        {
            return Err(format!(
                "{at} is not in the checkpointed log: its inclusion proof does not verify"
            ));
        }
        let v = r.v.unwrap_or(1);
        match rules.check(r, i as u64 + 1, v, &VerifyKeys::default()) {
            Err(fault) => return Err(format!("host {}: {fault}", chain.host)),
            Ok(Err(why)) => {
                return Err(format!(
                    "{at}: its operator signature does not hold — {why}"
                ));
            }
            Ok(Ok(Checked::Signed(s))) => signed.push((
                format!("{} ({}, seq {})", r.kind, describe(r), r.seq),
                format!("signed by {} with key {}, verified", s.operator, s.key),
            )),
            Ok(Ok(_)) => {}
        }
    }
    for rel in &rules.releases {
        lines.push(format!(
            "host {}: rules release {} ({}) {}{}",
            chain.host,
            rel.version,
            rel.digest,
            if rel.mode == "signed" {
                format!("signed by {}", rel.signers.join(", "))
            } else {
                "UNSIGNED (development mode)".into()
            },
            rel.anchor
                .as_ref()
                .map_or(String::new(), |a| format!("; {a}"))
        ));
    }
    Ok(signed)
}

fn describe(r: &Record) -> String {
    let s = |k: &str| r.str(k).unwrap_or_default().to_owned();
    match r.kind.as_str() {
        "approval.approved" | "approval.denied" => {
            format!("{} for {}", s("approval_id"), s("tool"))
        }
        "token.issued" => format!("token {} for {}", s("token_id"), s("agent")),
        _ => s("tool"),
    }
}

/// Nothing the records refer to is missing: each call decided has its
/// outcome (a format 9 `call` record holds both), each call held for an
/// approval has its record, each call allowed with an approval has that
/// approval's record.
fn complete(all: &[&Record]) -> Result<(), String> {
    let ended: BTreeSet<&str> = all
        .iter()
        .filter(|r| crate::audit::event::is_end_kind(&r.kind))
        .filter_map(|r| r.str("call_id"))
        .collect();
    let approved: BTreeSet<&str> = all
        .iter()
        .filter(|r| r.kind == "approval.approved")
        .filter_map(|r| r.str("approval_id"))
        .collect();
    for r in all.iter().filter(|r| r.kind == "approval.requested") {
        if let Some(call) = r.str("call_id")
            && !ended.contains(call)
        {
            return Err(format!(
                "call {call} was held for approval {} (seq {} on {}), and its outcome is not in the evidence: a record is missing",
                r.str("approval_id").unwrap_or("?"),
                r.seq,
                r.host.as_deref().unwrap_or("?")
            ));
        }
    }
    for r in all
        .iter()
        .filter(|r| crate::audit::event::is_decision_kind(&r.kind))
    {
        let call = r.str("call_id").unwrap_or_default();
        let allowed = r.data["decision"]["result"]
            .as_str()
            .is_some_and(|d| d.starts_with("allow"));
        if allowed && !ended.contains(call) {
            return Err(format!(
                "call {call} (seq {} on {}) was allowed, and its outcome is not in the evidence: a record is missing",
                r.seq,
                r.host.as_deref().unwrap_or("?")
            ));
        }
        if r.data["decision"]["result"] == "allow-with-approval"
            && let Some(a) = r.str("approval_id")
            && !approved.contains(a)
        {
            return Err(format!(
                "call {call} ran on approval {a}, whose approval record is not in the evidence: a record is missing"
            ));
        }
    }
    Ok(())
}
