//! The evidence file: one self-contained JSON document for one task, to be
//! verified on a machine that never ran warrant, with public keys only.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::audit::Record;

/// The format's name and version.
pub const EVIDENCE_FORMAT: &str = "warrant-evidence/1";

/// One task's evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// [`EVIDENCE_FORMAT`].
    pub format: String,
    /// The task.
    pub task: String,
    /// When it was exported (RFC 3339).
    pub exported: String,
    /// What was withheld from the records (`prompts`, `arguments`): each
    /// record still commits to them by digest.
    pub withheld: Vec<String>,
    /// One entry per host whose chain holds records of the task.
    pub chains: Vec<ChainEvidence>,
    /// The release documents the records name (and every release before
    /// them on those chains), by digest: exactly as archived.
    pub releases: BTreeMap<String, serde_json::Value>,
    /// The files those releases pin (manifests, operators' and governors'
    /// public keys, policies), by hex SHA-256, base64.
    pub files: BTreeMap<String, String>,
}

/// One host's part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainEvidence {
    /// The host.
    pub host: String,
    /// Its checkpoint: a C2SP signed note, signed by the host's checkpoint
    /// key and cosigned by witnesses, whose tree includes every record
    /// below.
    pub checkpoint: String,
    /// The records, in chain order, each with its inclusion proof.
    pub records: Vec<ProvenRecord>,
}

/// A record and its RFC 6962 inclusion proof in the checkpoint's tree
/// (leaf index `seq - 1`, leaf data the record's hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvenRecord {
    /// The record (fields withheld under `data.redacted`).
    pub record: Record,
    /// The audit path, base64 hashes.
    pub proof: Vec<String>,
}
