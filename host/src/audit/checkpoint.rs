//! Signed checkpoints: `{seq, head, time, host?}` signed with the host's
//! Ed25519 checkpoint key, so that anyone with the public key can check the
//! chain's integrity up to `seq` — and notice truncation — without the MAC
//! key.

use std::io::{BufRead, BufReader};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::keys::{Purpose, signed_bytes};
use crate::vocab::to_canonical;

/// One checkpoint line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// The sequence number of the last record covered.
    pub seq: u64,
    /// That record's hash.
    pub head: String,
    /// When the checkpoint was made.
    pub time: String,
    /// The host whose chain it covers (from format version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Ed25519 signature over the canonical JSON of the fields above, with
    /// the purpose tag `warrant/v1 audit-checkpoint\n`, base64.
    pub sig: String,
    /// The same checkpoint as a C2SP signed note (`tlog-checkpoint`): the
    /// RFC 6962 root of records 1..=seq, signed by the same key and
    /// cosigned by witnesses (from format version 8; the signature above
    /// does not cover it, the note's own does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Checkpoint {
    /// The bytes the signature covers.
    pub fn signed_body(&self) -> Vec<u8> {
        let mut body = serde_json::json!({"seq": self.seq, "head": self.head, "time": self.time});
        if let Some(h) = &self.host {
            body["host"] = serde_json::json!(h);
        }
        signed_bytes(Purpose::AuditCheckpoint, &to_canonical(&body))
    }

    /// Make and sign a checkpoint.
    pub fn sign(
        key: &ed25519_dalek::SigningKey,
        seq: u64,
        head: &str,
        time: &str,
        host: Option<&str>,
    ) -> Self {
        use ed25519_dalek::Signer as _;
        let mut cp = Self {
            seq,
            head: head.to_owned(),
            time: time.to_owned(),
            host: host.map(str::to_owned),
            sig: String::new(),
            note: None,
        };
        cp.sig = B64.encode(key.sign(&cp.signed_body()).to_bytes());
        cp
    }

    /// Whether the signature verifies under `pk`.
    pub fn verifies(&self, pk: &ed25519_dalek::VerifyingKey) -> bool {
        let Some(sig) = B64
            .decode(&self.sig)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok())
        else {
            return false;
        };
        pk.verify_strict(
            &self.signed_body(),
            &ed25519_dalek::Signature::from_bytes(&sig),
        )
        .is_ok()
    }
}

/// Why a checkpoints file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointsError {
    /// A line is not a checkpoint.
    #[error("line {0} is not a checkpoint")]
    Line(u64),
    /// The file could not be read.
    #[error("cannot read {0}")]
    Io(String),
}

/// Read a checkpoints file. A missing file has no checkpoints.
///
/// # Errors
///
/// [`CheckpointsError`]: the 1-based line number of an unreadable line, or
/// the I/O error.
pub fn read_checkpoints(path: &Path) -> Result<Vec<Checkpoint>, CheckpointsError> {
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(CheckpointsError::Io(format!("{}: {e}", path.display()))),
    };
    let mut out = Vec::new();
    for (i, l) in BufReader::new(f).lines().enumerate() {
        let l = l.map_err(|e| CheckpointsError::Io(e.to_string()))?;
        if let Some(cp) = parse_line(&l, i)? {
            out.push(cp);
        }
    }
    Ok(out)
}

/// The checkpoints in the text of a checkpoints file, each with the byte
/// offset where its line ends.
///
/// # Errors
///
/// [`CheckpointsError::Line`]: the 1-based number of an unreadable line.
pub(crate) fn parse_checkpoints(text: &[u8]) -> Result<Vec<(Checkpoint, u64)>, CheckpointsError> {
    let mut out = Vec::new();
    let mut end = 0u64;
    for (i, l) in text.split_inclusive(|b| *b == b'\n').enumerate() {
        end += l.len() as u64;
        let l = std::str::from_utf8(l).map_err(|_| CheckpointsError::Line(i as u64 + 1))?;
        if let Some(cp) = parse_line(l, i)? {
            out.push((cp, end));
        }
    }
    Ok(out)
}

/// Line `i` (0-based) of a checkpoints file: blank, or a checkpoint.
fn parse_line(l: &str, i: usize) -> Result<Option<Checkpoint>, CheckpointsError> {
    if l.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str(l)
        .map(Some)
        .map_err(|_| CheckpointsError::Line(i as u64 + 1))
}
