//! Checkpoints as C2SP signed notes (`c2sp.org/tlog-checkpoint`,
//! `c2sp.org/signed-note`) and witness cosignatures
//! (`c2sp.org/tlog-cosignature`, the Ed25519 `cosignature/v1` type): the
//! framing and key ids from `signed_note` and `tlog_tiles`, the signatures
//! with the host's own Ed25519 keys.
//!
//! A host's checkpoint note:
//!
//! ```text
//! warrant-audit/host-0a1b2c3d4e5f6789
//! 42
//! <base64 RFC 6962 root of records 1..=42>
//!
//! — warrant-audit/host-0a1b2c3d4e5f6789 <base64 key id || Ed25519 signature>
//! — witness.example/w1 <base64 key id || timestamp || Ed25519 signature>
//! ```

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use signed_note::{Note, Signature, Verifier, VerifierList};
use tlog_tiles::{Checkpoint, Hash};

/// The origin (and key name) of a host's chain.
pub fn origin(host_id: &str) -> String {
    format!("warrant-audit/{host_id}")
}

/// The origin of the chain whose checkpoints `key` signs (a host's id is
/// derived from its checkpoint key).
pub fn origin_of_key(key: &VerifyingKey) -> String {
    let hex = crate::keys::sha256_hex(&key.to_bytes());
    origin(&format!("host-{}", &hex[..16]))
}

fn key_id(name: &str, alg: u8, key: &VerifyingKey) -> u32 {
    let mut material = vec![alg];
    material.extend_from_slice(key.as_bytes());
    signed_note::key_id(name, &material)
}

/// A log's Ed25519 note signer (signature type 0x01).
struct LogSigner<'a> {
    name: &'a str,
    key: &'a SigningKey,
}

impl signed_note::Signer for LogSigner<'_> {
    fn name(&self) -> &str {
        self.name
    }
    fn key_id(&self) -> u32 {
        key_id(self.name, 0x01, &self.key.verifying_key())
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        Ok(self.key.sign(msg).to_bytes().to_vec())
    }
}

/// A log's Ed25519 note verifier.
pub(crate) struct LogVerifier {
    pub(crate) name: String,
    pub(crate) key: VerifyingKey,
}

impl Verifier for LogVerifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        key_id(&self.name, 0x01, &self.key)
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        <[u8; 64]>::try_from(sig).is_ok_and(|s| {
            self.key
                .verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&s))
                .is_ok()
        })
    }
}

/// The message a `cosignature/v1` covers.
fn cosigned_message(time: u64, text: &[u8]) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {time}\n").into_bytes();
    m.extend_from_slice(text);
    m
}

/// A witness's cosigner: `timestamp || Ed25519 signature`, key id type 0x04.
pub(crate) struct Cosigner<'a> {
    pub(crate) name: &'a str,
    pub(crate) key: &'a SigningKey,
    pub(crate) time: u64,
}

impl signed_note::Signer for Cosigner<'_> {
    fn name(&self) -> &str {
        self.name
    }
    fn key_id(&self) -> u32 {
        key_id(self.name, 0x04, &self.key.verifying_key())
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        let mut out = self.time.to_be_bytes().to_vec();
        out.extend_from_slice(&self.key.sign(&cosigned_message(self.time, msg)).to_bytes());
        Ok(out)
    }
}

/// A witness, as a verifier of its cosignatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessKey {
    /// Its name (the note key name).
    pub name: String,
    /// Its Ed25519 public key.
    pub key: VerifyingKey,
}

impl WitnessKey {
    /// The keys of a config's witnesses.
    pub fn of(config: &[crate::config::Witness]) -> Vec<Self> {
        config
            .iter()
            .map(|w| Self {
                name: w.name.clone(),
                key: w.key,
            })
            .collect()
    }
}

impl Verifier for WitnessKey {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        key_id(&self.name, 0x04, &self.key)
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        if sig.len() != 72 {
            return false;
        }
        let (time, s) = sig.split_at(8);
        let time = u64::from_be_bytes(time.try_into().unwrap_or_default());
        <[u8; 64]>::try_from(s).is_ok_and(|s| {
            self.key
                .verify_strict(
                    &cosigned_message(time, msg),
                    &ed25519_dalek::Signature::from_bytes(&s),
                )
                .is_ok()
        })
    }
}

/// Sign the checkpoint of a chain of `size` records with `root`, as the
/// host whose checkpoint key is `key` (its origin comes from the key): the
/// note's text.
///
/// # Errors
///
/// When the note cannot be framed.
pub fn sign_checkpoint(size: u64, root: Hash, key: &SigningKey) -> Result<String, String> {
    let name = origin_of_key(&key.verifying_key());
    let cp = Checkpoint::new(&name, size, root, "").map_err(|e| e.to_string())?;
    let mut note = Note::new(&cp.to_bytes(), &[]).map_err(|e| e.to_string())?;
    note.add_sigs(&[&LogSigner { name: &name, key }])
        .map_err(|e| e.to_string())?;
    String::from_utf8(note.to_bytes()).map_err(|e| e.to_string())
}

/// What an opened checkpoint note says, with who vouched for it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenedCheckpoint {
    /// The origin (the host's log).
    pub origin: String,
    /// Records covered.
    pub size: u64,
    /// The root of their tree.
    pub root: Hash,
    /// The witnesses among `witnesses` whose cosignatures verified.
    pub witnessed_by: Vec<String>,
}

/// Open a checkpoint note of the host whose checkpoint key is `log_key`:
/// its origin must be that host's and its signature verify under the key;
/// the cosignatures of `witnesses` are verified too (others are ignored,
/// as the spec says).
///
/// # Errors
///
/// A sentence: malformed, not signed by the host's key, or a known
/// witness's signature that does not verify.
pub fn open_checkpoint(
    text: &str,
    log_key: &VerifyingKey,
    witnesses: &[WitnessKey],
) -> Result<OpenedCheckpoint, String> {
    let name = origin_of_key(log_key);
    let note = Note::from_bytes(text.as_bytes()).map_err(|e| format!("not a signed note: {e}"))?;
    let mut known: Vec<Box<dyn Verifier>> = vec![Box::new(LogVerifier {
        name: name.clone(),
        key: *log_key,
    })];
    for w in witnesses {
        known.push(Box::new(w.clone()));
    }
    let (verified, _unknown) = note
        .verify(&VerifierList::new(known))
        .map_err(|e| format!("its signatures: {e}"))?;
    let log_id = key_id(&name, 0x01, log_key);
    if !verified
        .iter()
        .any(|s| s.name() == name && s.id() == log_id)
    {
        return Err(format!("it is not signed by {name}'s checkpoint key"));
    }
    let cp = Checkpoint::from_bytes(note.text()).map_err(|e| format!("not a checkpoint: {e}"))?;
    if cp.origin() != name {
        return Err(format!("its origin is {}, not {name}", cp.origin()));
    }
    let mut witnessed_by: Vec<String> = verified
        .iter()
        .filter(|s| s.name() != name)
        .map(|s| s.name().to_owned())
        .collect();
    witnessed_by.sort();
    witnessed_by.dedup();
    Ok(OpenedCheckpoint {
        origin: name,
        size: cp.size(),
        root: *cp.hash(),
        witnessed_by,
    })
}

/// Add the cosignature lines a witness answered to a note, keeping only
/// those of `witness` that verify.
///
/// # Errors
///
/// When the answer holds no valid cosignature of `witness`.
pub fn add_cosignatures(text: &str, answer: &str, witness: &WitnessKey) -> Result<String, String> {
    let note = Note::from_bytes(text.as_bytes()).map_err(|e| e.to_string())?;
    let both = format!("{text}{answer}");
    let joined = Note::from_bytes(both.as_bytes()).map_err(|e| format!("the answer: {e}"))?;
    let list = VerifierList::new(vec![Box::new(witness.clone())]);
    let (verified, _) = joined
        .verify(&list)
        .map_err(|e| format!("the witness's cosignature: {e}"))?;
    let mut sigs = signatures_of(text);
    sigs.retain(|s| s.name() != witness.name);
    sigs.extend(verified);
    let out = Note::new(note.text(), &sigs).map_err(|e| e.to_string())?;
    String::from_utf8(out.to_bytes()).map_err(|e| e.to_string())
}

/// The signature lines of a note, parsed.
fn signatures_of(text: &str) -> Vec<Signature> {
    text.rsplit_once("\n\n")
        .map(|(_, sigs)| {
            sigs.lines()
                .filter_map(|l| Signature::from_bytes(l.as_bytes()).ok())
                .collect()
        })
        .unwrap_or_default()
}
