//! A witness (`c2sp.org/tlog-witness`): it keeps, for each log it
//! witnesses, the latest checkpoint it cosigned, and cosigns a new one only
//! when a consistency proof shows the new tree extends it — so two forks
//! of one chain can never both be witnessed. [`Witness::add_checkpoint`] is
//! the protocol's `add-checkpoint` call; the HTTP shell is in `api`.

use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cap_std::fs::Dir;
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use signed_note::{Note, VerifierList};
use tlog_tiles::{Checkpoint, Hash};

use crate::audit::tlog::note::{Cosigner, LogVerifier};

/// Why a checkpoint was not cosigned; each maps to the protocol's status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    /// 404: a log this witness does not witness.
    #[error("unknown log {0}")]
    UnknownLog(String),
    /// 403: no signature of the log's key verifies.
    #[error("the checkpoint is not signed by {0}'s key")]
    NotSigned(String),
    /// 400: the request is malformed.
    #[error("{0}")]
    Malformed(String),
    /// 409: the old size is not the size this witness last cosigned (or
    /// the same size with another root: a fork).
    #[error("this witness last cosigned size {0}")]
    Conflict(u64),
    /// 422: the consistency proof does not verify — the new tree does not
    /// extend the one cosigned before.
    #[error(
        "the consistency proof from size {old} to {new} does not verify: the log forked or was rewritten"
    )]
    Inconsistent {
        /// The size cosigned before.
        old: u64,
        /// The size submitted.
        new: u64,
    },
    /// 500: the witness's own state cannot be kept.
    #[error("the witness's state: {0}")]
    State(String),
}

impl WitnessError {
    /// The HTTP status the protocol gives it.
    pub fn status(&self) -> u16 {
        match self {
            Self::UnknownLog(_) => 404,
            Self::NotSigned(_) => 403,
            Self::Malformed(_) => 400,
            Self::Conflict(_) => 409,
            Self::Inconsistent { .. } => 422,
            Self::State(_) => 500,
        }
    }
}

/// One log a witness witnesses.
#[derive(Debug, Clone)]
pub struct WitnessedLog {
    /// Its origin (the checkpoint's first line and key name).
    pub origin: String,
    /// Its checkpoint public key.
    pub key: VerifyingKey,
}

#[derive(Debug, Serialize, Deserialize)]
struct Latest {
    size: u64,
    root: String,
}

/// A witness: its name and key, the logs it witnesses, and where it keeps
/// the latest cosigned checkpoint of each.
#[derive(Debug)]
pub struct Witness {
    name: String,
    key: SigningKey,
    logs: Vec<WitnessedLog>,
    state: Dir,
    /// Checking the old size and storing the new one happen atomically.
    lock: Mutex<()>,
}

impl Witness {
    /// A witness named `name` (a schema-less URL such as
    /// `witness.example/w1`) keeping its state in `state`.
    pub fn new(name: &str, key: SigningKey, logs: Vec<WitnessedLog>, state: Dir) -> Self {
        Self {
            name: name.to_owned(),
            key,
            logs,
            state,
            lock: Mutex::new(()),
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its public key.
    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The `add-checkpoint` call: the cosignature lines, or why not.
    ///
    /// # Errors
    ///
    /// [`WitnessError`], with the protocol's status.
    pub fn add_checkpoint(&self, body: &str, now: u64) -> Result<String, WitnessError> {
        let (head, note_text) = body
            .split_once("\n\n")
            .ok_or_else(|| WitnessError::Malformed("no empty line before the checkpoint".into()))?;
        let mut lines = head.lines();
        let old: u64 = lines
            .next()
            .and_then(|l| l.strip_prefix("old "))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| WitnessError::Malformed("the first line is not `old SIZE`".into()))?;
        let proof = lines
            .map(|l| {
                B64.decode(l)
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
                    .map(Hash)
                    .ok_or_else(|| WitnessError::Malformed(format!("{l:?} is not a hash")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if proof.len() > 63 {
            return Err(WitnessError::Malformed("more than 63 proof lines".into()));
        }
        let note = Note::from_bytes(note_text.as_bytes())
            .map_err(|e| WitnessError::Malformed(format!("the checkpoint: {e}")))?;
        let cp = Checkpoint::from_bytes(note.text())
            .map_err(|e| WitnessError::Malformed(format!("the checkpoint: {e}")))?;
        let log = self
            .logs
            .iter()
            .find(|l| l.origin == cp.origin())
            .ok_or_else(|| WitnessError::UnknownLog(cp.origin().to_owned()))?;
        let known = VerifierList::new(vec![Box::new(LogVerifier {
            name: log.origin.clone(),
            key: log.key,
        })]);
        if note.verify(&known).is_err() {
            return Err(WitnessError::NotSigned(log.origin.clone()));
        }
        if old > cp.size() {
            return Err(WitnessError::Malformed(format!(
                "old size {old} is beyond the checkpoint's {}",
                cp.size()
            )));
        }
        let _held = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let file = format!("{}.json", hex::encode(log.origin.as_bytes()));
        let latest: Option<Latest> = self
            .state
            .read_to_string(&file)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        let (size, root) = match &latest {
            Some(l) => (
                l.size,
                Hash::parse_hash(&l.root).map_err(|e| WitnessError::State(e.to_string()))?,
            ),
            None => (0, tlog_tiles::EMPTY_HASH),
        };
        if old != size {
            return Err(WitnessError::Conflict(size));
        }
        if old == cp.size() {
            if root != *cp.hash() {
                return Err(WitnessError::Conflict(size));
            }
        } else if old > 0 {
            tlog_tiles::check_tree(&proof, cp.size(), *cp.hash(), old, root).map_err(|_| {
                WitnessError::Inconsistent {
                    old,
                    new: cp.size(),
                }
            })?;
        } else if !proof.is_empty() {
            return Err(WitnessError::Malformed(
                "a proof from size 0 must be empty".into(),
            ));
        }
        let text = serde_json::to_vec(&Latest {
            size: cp.size(),
            root: cp.hash().to_string(),
        })
        .map_err(|e| WitnessError::State(e.to_string()))?;
        self.state
            .write(format!("{file}.tmp"), &text)
            .and_then(|()| self.state.rename(format!("{file}.tmp"), &self.state, &file))
            .map_err(|e| WitnessError::State(e.to_string()))?;
        let mut signed =
            Note::new(note.text(), &[]).map_err(|e| WitnessError::State(e.to_string()))?;
        signed
            .add_sigs(&[&Cosigner {
                name: &self.name,
                key: &self.key,
                time: now,
            }])
            .map_err(|e| WitnessError::State(e.to_string()))?;
        let all =
            String::from_utf8(signed.to_bytes()).map_err(|e| WitnessError::State(e.to_string()))?;
        Ok(all[note.text().len() + 1..].to_owned())
    }
}
