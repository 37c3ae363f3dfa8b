//! `audit verify`'s view of the transparency log: the Merkle tree rebuilt
//! from the records themselves (trusting no stored tree), and every
//! checkpoint note checked against it — signed by the host's checkpoint
//! key, for exactly the root of the records up to its size — with the
//! witnesses whose cosignatures verify.

use std::collections::{BTreeMap, HashMap};

use crate::audit::checkpoint::Checkpoint;
use crate::audit::fault::ChainFault;
use serde::{Deserialize, Serialize};

use crate::audit::tlog::note::{OpenedCheckpoint, WitnessKey, open_checkpoint};
use crate::audit::tlog::tree::{Frontier, leaf};

/// Notes waiting for their size, and what was found.
#[derive(Debug, Default)]
pub(crate) struct NoteCheck {
    key: Option<ed25519_dalek::VerifyingKey>,
    witnesses: Vec<WitnessKey>,
    pending: HashMap<u64, Vec<(String, String)>>,
    frontier: Frontier,
    /// Notes checked.
    pub(crate) checked: u64,
    /// Each witness, with the largest size it cosigned.
    pub(crate) cosigned: BTreeMap<String, u64>,
    /// The size of the newest note, and its witnesses.
    pub(crate) newest: Option<(u64, Vec<String>)>,
}

impl NoteCheck {
    pub(crate) fn new(key: Option<ed25519_dalek::VerifyingKey>, witnesses: &[WitnessKey]) -> Self {
        Self {
            key,
            witnesses: witnesses.to_vec(),
            ..Self::default()
        }
    }

    /// Go on from a verified mark: the tree of the records it covers, and
    /// what the notes before it showed.
    pub(crate) fn resume(&mut self, frontier: Frontier, mark: &NotesSeen) {
        self.frontier = frontier;
        self.checked = mark.checked;
        self.cosigned = mark.cosigned.clone();
        self.newest = mark.newest.clone();
    }

    /// What the notes so far showed, for a verified mark.
    pub(crate) fn seen(&self) -> NotesSeen {
        NotesSeen {
            checked: self.checked,
            cosigned: self.cosigned.clone(),
            newest: self.newest.clone(),
        }
    }

    /// The tree so far.
    pub(crate) fn frontier(&self) -> &Frontier {
        &self.frontier
    }

    /// A note added for a size a verified mark covers (a witness's
    /// cosignature arriving after the mark): it must be for the tree that
    /// `earlier`, a note of the same size checked before, was for.
    pub(crate) fn known(
        &mut self,
        file: &str,
        seq: u64,
        note: &str,
        earlier: &str,
    ) -> Result<(), ChainFault> {
        let Some(key) = self.key else {
            return Ok(());
        };
        let bad = |why: String| ChainFault::BadNote {
            file: file.to_owned(),
            seq,
            why,
        };
        let before = open_checkpoint(earlier, &key, &[]).map_err(&bad)?;
        let opened = open_checkpoint(note, &key, &self.witnesses).map_err(&bad)?;
        if opened.size != before.size || opened.root != before.root {
            return Err(bad(format!(
                "its tree of {} records has root {}, the note verified before for that size has {}: the history was rewritten",
                opened.size, opened.root, before.root
            )));
        }
        self.count(&opened);
        Ok(())
    }

    /// The notes of the checkpoints of `file` (already signature-checked).
    pub(crate) fn add(&mut self, file: &str, cps: &[Checkpoint]) {
        for cp in cps {
            if let Some(n) = &cp.note {
                self.pending
                    .entry(cp.seq)
                    .or_default()
                    .push((file.to_owned(), n.clone()));
            }
        }
    }

    /// The next record: into the tree, and the notes of its size checked.
    pub(crate) fn record(&mut self, seq: u64, hash: &str) -> Result<(), ChainFault> {
        let bad = |file: &str, why: String| ChainFault::BadNote {
            file: file.to_owned(),
            seq,
            why,
        };
        self.frontier
            .push(&leaf(hash).map_err(|why| bad("the chain", why))?);
        let Some(notes) = self.pending.remove(&seq) else {
            return Ok(());
        };
        let Some(key) = self.key else {
            return Ok(());
        };
        let root = self.frontier.root();
        for (file, note) in notes {
            let opened =
                open_checkpoint(&note, &key, &self.witnesses).map_err(|why| bad(&file, why))?;
            if opened.size != seq || opened.root != root {
                return Err(bad(
                    &file,
                    format!(
                        "its tree of {} records has root {}, the chain's records make {}: the history was rewritten",
                        opened.size, opened.root, root
                    ),
                ));
            }
            self.count(&opened);
        }
        Ok(())
    }

    /// A note that holds: its witnesses, and one more checked.
    fn count(&mut self, opened: &OpenedCheckpoint) {
        for w in &opened.witnessed_by {
            let e = self.cosigned.entry(w.clone()).or_default();
            *e = (*e).max(opened.size);
        }
        let newest = self.newest.get_or_insert((0, Vec::new()));
        if opened.size > newest.0 {
            *newest = (opened.size, opened.witnessed_by.clone());
        } else if opened.size == newest.0 {
            newest.1.extend(opened.witnessed_by.iter().cloned());
            newest.1.sort();
            newest.1.dedup();
        }
        self.checked += 1;
    }
}

/// What the notes up to a verified mark showed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NotesSeen {
    /// Notes checked.
    pub(crate) checked: u64,
    /// Each witness, with the largest size it cosigned.
    pub(crate) cosigned: BTreeMap<String, u64>,
    /// The size of the newest note, and its witnesses.
    pub(crate) newest: Option<(u64, Vec<String>)>,
}
