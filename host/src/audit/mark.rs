//! The verified mark: `verified.json` beside the chain, where the host
//! notes how far a verification with all of its keys got — the last
//! record's seq, hash and byte offset, and the verifier's state there (the
//! Merkle tree's right edge, the releases of the rules applied, the calls
//! still open, the counts) — signed with the host's checkpoint key, so
//! that the next `audit verify` checks only what was appended since.
//!
//! A mark that does not verify under the checkpoint key (edited, or made
//! by someone without the key) is refused, and the chain verified from its
//! first record.

use std::io::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt as _};
use serde::{Deserialize, Serialize};

use crate::audit::tlog::check::NotesSeen;
use crate::audit::verify_checkpoints::Seen;
use crate::audit::verify_walk::AppliedAt;
use crate::audit::{VerifyKeys, VerifyOptions};
use crate::keys::{Purpose, sha256_hex, signed_bytes};
use crate::vocab::to_canonical;

/// The mark's file, in the chain's directory.
pub(crate) const MARK_FILE: &str = "verified.json";

/// The mark's format version.
pub(crate) const MARK_VERSION: u32 = 1;

/// What a verification counted up to the mark.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Counts {
    pub(crate) macs: u64,
    pub(crate) by_stored_bytes: u64,
    pub(crate) signed: u64,
    pub(crate) legacy_unsigned: u64,
    pub(crate) unchecked: u64,
}

/// The witness copy of the checkpoints a verification read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WitnessSeen {
    /// Its path, as given.
    pub(crate) path: String,
    /// What of it was read.
    pub(crate) seen: Seen,
}

/// Where a verification ended, and its state there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MarkBody {
    /// [`MARK_VERSION`].
    pub(crate) v: u32,
    /// The log's file name.
    pub(crate) log: String,
    /// The last record verified.
    pub(crate) seq: u64,
    /// Its hash.
    pub(crate) head: String,
    /// The byte offset after its line.
    pub(crate) offset: u64,
    /// The newest format version up to it.
    pub(crate) newest: u32,
    /// The Merkle tree of records 1..=seq: its perfect subtrees, largest
    /// first (hex).
    pub(crate) frontier: Vec<String>,
    /// The releases of the rules applied up to it.
    pub(crate) applied: Vec<AppliedAt>,
    /// The calls decided without an outcome up to it.
    pub(crate) open_calls: Vec<String>,
    pub(crate) counts: Counts,
    /// What the checkpoint notes showed.
    pub(crate) notes: NotesSeen,
    /// The chain's checkpoints file as read.
    pub(crate) checkpoints: Seen,
    /// The witness copy as read, if one was given.
    pub(crate) witness: Option<WitnessSeen>,
    /// Which MAC key checked the MACs ([`mac_key_id`]).
    pub(crate) mac_key: String,
    /// Which witnesses' cosignatures counted ([`witness_keys_id`]).
    pub(crate) witness_keys: String,
    /// When.
    pub(crate) time: String,
}

/// The mark as stored: its body and the checkpoint key's signature.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignedMark {
    mark: MarkBody,
    /// Ed25519 over `warrant/v1 audit-verified\n` and the canonical JSON
    /// of `mark`, base64.
    sig: String,
}

/// A mark whose signature verified under the checkpoint key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VerifiedMark(pub(crate) MarkBody);

fn signed_body(body: &MarkBody) -> Vec<u8> {
    // A struct of strings, numbers and lists always serializes.
    let value = serde_json::to_value(body).unwrap_or_default();
    signed_bytes(Purpose::AuditVerified, &to_canonical(&value))
}

/// A stable id of a MAC key that says nothing of it.
pub(crate) fn mac_key_id(key: &[u8]) -> String {
    let mut tagged = b"warrant/v1 audit-mac-id\n".to_vec();
    tagged.extend_from_slice(key);
    sha256_hex(&tagged)[..32].to_owned()
}

/// An id of the set of witnesses whose cosignatures count.
pub(crate) fn witness_keys_id(keys: &VerifyKeys) -> String {
    let mut named: Vec<String> = keys
        .witnesses
        .iter()
        .map(|w| format!("{}={}", w.name, B64.encode(w.key.to_bytes())))
        .collect();
    named.sort();
    sha256_hex(named.join("\n").as_bytes())
}

impl MarkBody {
    /// Why this mark cannot be gone on from with `keys` and `opts` (the
    /// state it keeps was made under other keys or another witness).
    pub(crate) fn unusable(&self, keys: &VerifyKeys, opts: &VerifyOptions) -> Option<String> {
        let Some(mac) = &keys.mac else {
            return Some("the MAC key is not available".into());
        };
        if mac_key_id(mac) != self.mac_key {
            return Some("it was made under another MAC key".into());
        }
        let witness = opts.witness.as_ref().map(|w| w.display().to_string());
        if witness != self.witness.as_ref().map(|w| w.path.clone()) {
            return Some("it was made with another witness copy of the checkpoints".into());
        }
        if witness_keys_id(keys) != self.witness_keys {
            return Some("it was made with other witness keys".into());
        }
        if self.v != MARK_VERSION {
            return Some(format!("its format {} is not {MARK_VERSION}", self.v));
        }
        None
    }

    /// Whether `other` is this mark but for its time.
    pub(crate) fn same_as(&self, other: &Self) -> bool {
        Self {
            time: String::new(),
            ..self.clone()
        } == Self {
            time: String::new(),
            ..other.clone()
        }
    }
}

/// Read the mark in `dir`: `Ok(None)` when there is none, `Err(why)` when
/// it is not a mark signed by `key`.
///
/// # Errors
///
/// Why the mark is refused, as a sentence.
pub(crate) fn read_mark(
    dir: &Dir,
    key: &ed25519_dalek::VerifyingKey,
) -> Result<Option<VerifiedMark>, String> {
    let text = match dir.read_to_string(MARK_FILE) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{MARK_FILE} cannot be read: {e}")),
    };
    let signed: SignedMark = serde_json::from_str(&text)
        .map_err(|e| format!("{MARK_FILE} is not a verified mark ({e})"))?;
    let sig = B64
        .decode(&signed.sig)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok())
        .map(|b| ed25519_dalek::Signature::from_bytes(&b));
    match sig {
        Some(s) if key.verify_strict(&signed_body(&signed.mark), &s).is_ok() => {
            Ok(Some(VerifiedMark(signed.mark)))
        }
        _ => Err(format!(
            "{MARK_FILE} is not signed by the host's checkpoint key: edited, or made by someone without the key"
        )),
    }
}

/// Sign `body` with the checkpoint key and put it in `dir` as the mark,
/// atomically (a new file renamed over the old).
///
/// # Errors
///
/// I/O errors, as sentences.
pub(crate) fn write_mark(
    dir: &Dir,
    body: MarkBody,
    key: &ed25519_dalek::SigningKey,
) -> Result<(), String> {
    use ed25519_dalek::Signer as _;
    let sig = B64.encode(key.sign(&signed_body(&body)).to_bytes());
    let mut text =
        serde_json::to_vec_pretty(&SignedMark { mark: body, sig }).map_err(|e| e.to_string())?;
    text.push(b'\n');
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = format!("{MARK_FILE}.{}-{nanos}.tmp", std::process::id());
    let mut o = OpenOptions::new();
    o.write(true).create_new(true).mode(0o600);
    let written = dir.open_with(&tmp, &o).and_then(|mut f| {
        f.write_all(&text)?;
        f.sync_data()
    });
    written
        .and_then(|()| dir.rename(&tmp, dir, MARK_FILE))
        .map_err(|e| {
            let _ = dir.remove_file(&tmp);
            format!("{MARK_FILE}: {e}")
        })
}
