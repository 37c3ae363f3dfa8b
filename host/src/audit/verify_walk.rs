//! The walk along the chain that `audit verify` makes: every check of one
//! record against the records before it (seq, hash, link, MAC, the
//! checkpoints at its seq, format version, the Merkle tree and its notes,
//! the rules), and the state those checks carry from record to record —
//! the state a verified mark keeps, so that a later walk can go on from
//! where this one ended.

use std::collections::{BTreeSet, HashMap};
use std::io::BufRead;

use crate::audit::fault::ChainFault;
use crate::audit::record::{GENESIS, Record};
use crate::audit::rules_check::RulesSeen;
use crate::audit::signatures::Checked;
use crate::audit::tlog::check::NoteCheck;
use crate::audit::verify_line::{Fast, Fields, LineReader, Parsed};
use crate::audit::{ChainSummary, VerifyKeys};

/// A release of the rules applied in the chain (a `config.applied` record
/// from format 7), where it is: a walk that goes on from a mark reads
/// these again to know the rules in force.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AppliedAt {
    /// Its seq.
    pub(crate) seq: u64,
    /// The byte offset of its line in the log.
    pub(crate) offset: u64,
    /// Its hash.
    pub(crate) hash: String,
}

/// The walk's state after the records read so far.
pub(crate) struct Walk<'k> {
    pub(crate) keys: &'k VerifyKeys,
    pub(crate) summary: ChainSummary,
    /// The hash of the last record read.
    pub(crate) prev: String,
    /// The newest format version read.
    pub(crate) newest: u32,
    /// Calls decided without an outcome so far.
    pub(crate) open_calls: BTreeSet<String>,
    pub(crate) rules: RulesSeen,
    /// The digest of the release in force.
    pub(crate) current: Option<String>,
    pub(crate) lines: LineReader,
    /// Lines read (one record each).
    pub(crate) line_no: u64,
    /// The byte offset after the last record read.
    pub(crate) offset: u64,
    pub(crate) notes: NoteCheck,
    /// The head each checkpoint names, by seq.
    pub(crate) wanted: HashMap<u64, String>,
    /// The head each witness checkpoint names, by seq.
    pub(crate) witnessed: HashMap<u64, String>,
    pub(crate) witness_name: String,
    /// Every release applied so far.
    pub(crate) applied: Vec<AppliedAt>,
    /// A record this walk must find: `(seq, hash)` of a verified mark's
    /// last record, and whether it did.
    pub(crate) must_find: Option<(u64, String, bool)>,
}

impl<'k> Walk<'k> {
    /// A walk from the chain's first record; `fast` tries each record's
    /// stored bytes first.
    pub(crate) fn new(
        keys: &'k VerifyKeys,
        rules: RulesSeen,
        notes: NoteCheck,
        fast: bool,
    ) -> Self {
        Self {
            keys,
            summary: ChainSummary::default(),
            prev: GENESIS.to_owned(),
            newest: 0,
            open_calls: BTreeSet::new(),
            current: rules.current(),
            rules,
            lines: LineReader::new(fast, keys.mac.as_deref()),
            line_no: 0,
            offset: 0,
            notes,
            wanted: HashMap::new(),
            witnessed: HashMap::new(),
            witness_name: String::new(),
            applied: Vec::new(),
            must_find: None,
        }
    }

    /// Check the next record, `line` (with its newline, if any). A gap
    /// is named [`ChainFault::Missing`]; [`reordered`] tells it from a
    /// reordering by the log after the line.
    pub(crate) fn step(&mut self, line: &str) -> Result<(), ChainFault> {
        self.step_read(line, None)
    }

    /// [`Walk::step`] for a line whose `fields` were already found (on
    /// another thread); `None` reads it here.
    pub(crate) fn step_read(
        &mut self,
        line: &str,
        fields: Option<Fields>,
    ) -> Result<(), ChainFault> {
        let text = line.trim_end_matches('\n');
        let r = match fields {
            Some(f) => Parsed::Fast(Fast::new(text, f)),
            None => self.lines.read(text, self.line_no + 1)?,
        };
        self.check(line.len(), &r)
    }

    /// Check the next record, read as `r` from a line of `len` bytes.
    fn check(&mut self, len: usize, r: &Parsed<'_>) -> Result<(), ChainFault> {
        self.line_no += 1;
        let line_no = self.line_no;
        let at = self.offset;
        self.offset += len as u64;
        let keys = self.keys;
        let seq = r.seq();
        let expected = self.summary.records + 1;
        if seq > expected {
            // A gap: the expected record is either later in the file
            // (reordered) or gone (deleted); `reordered` tells which.
            return Err(ChainFault::Missing {
                seq,
                line: line_no,
                expected,
            });
        }
        if seq < expected {
            return Err(ChainFault::Reordered {
                seq,
                line: line_no,
                expected,
            });
        }
        if !r.hash_holds() {
            return Err(ChainFault::Edited { seq, line: line_no });
        }
        if r.prev() != self.prev {
            return Err(ChainFault::BrokenLink { seq, line: line_no });
        }
        if let Some(k) = &keys.mac {
            if !self.lines.mac_holds(k, r) {
                return Err(ChainFault::BadMac { seq, line: line_no });
            }
            self.summary.macs_checked += 1;
        }
        if let Some(head) = self.wanted.get(&seq)
            && *head != r.hash()
        {
            return Err(ChainFault::CheckpointMismatch { checkpoint: seq });
        }
        if let Some(head) = self.witnessed.get(&seq)
            && *head != r.hash()
        {
            return Err(ChainFault::Witness {
                witness: self.witness_name.clone(),
                checkpoint: seq,
                why:
                    "contradicts (another record has that seq): the history forked or was rewritten"
                        .into(),
            });
        }
        let v = r.v().unwrap_or(1);
        if v < self.newest {
            return Err(ChainFault::Downgraded {
                seq,
                line: line_no,
                v,
                newest: self.newest,
            });
        }
        self.newest = v;
        if matches!(r, Parsed::Fast(_)) {
            self.summary.by_stored_bytes += 1;
        }
        self.notes.record(seq, r.hash())?;
        if r.needs_rules(self.current.as_deref()) {
            let record = r.record(line_no)?;
            let checked = self.rules(&record, line_no, v)?;
            if v >= 7 && record.kind == "config.applied" {
                self.applied.push(AppliedAt {
                    seq,
                    offset: at,
                    hash: record.hash.clone(),
                });
            }
            match checked {
                Checked::NotOperator => {}
                Checked::Legacy => self.summary.legacy_unsigned += 1,
                Checked::Unchecked => self.summary.unchecked += 1,
                Checked::Signed(s) => self.summary.signed.push(s),
            }
        }
        match r.kind() {
            "call.decided" => {
                if let Some(c) = r.call_id() {
                    self.open_calls.insert(c.to_owned());
                }
            }
            "call" | "call.completed" | "call.interrupted" => {
                if let Some(c) = r.call_id() {
                    self.open_calls.remove(c);
                }
            }
            _ => {}
        }
        // Last: a record that is itself at fault is named for that.
        if let Some((at_seq, head, found)) = &mut self.must_find
            && *at_seq == seq
        {
            if *head != r.hash() {
                return Err(ChainFault::MarkContradicted { seq, line: line_no });
            }
            *found = true;
        }
        self.prev.clear();
        self.prev.push_str(r.hash());
        self.summary.records += 1;
        Ok(())
    }

    /// The rules' checks of `record` (a release applied, a release in
    /// force, an operator's signature); the release in force follows.
    pub(crate) fn rules(
        &mut self,
        record: &Record,
        line_no: u64,
        v: u32,
    ) -> Result<Checked, ChainFault> {
        let checked = self.rules.check(record, line_no, v, self.keys)?;
        if v >= 7 && record.kind == "config.applied" {
            self.current = self.rules.current();
        }
        checked.map_err(|why| ChainFault::Unsigned {
            seq: record.seq,
            line: line_no,
            kind: record.kind.clone(),
            why,
        })
    }
}

/// `fault` as named once the log after its line, `rest`, is known: a
/// record missing at a gap that is found later in the file was reordered.
pub(crate) fn reordered(fault: ChainFault, rest: &mut dyn BufRead) -> ChainFault {
    match fault {
        ChainFault::Missing {
            seq,
            line,
            expected,
        } if rest
            .lines()
            .map_while(Result::ok)
            .any(|l| serde_json::from_str::<Record>(&l).is_ok_and(|x| x.seq == expected)) =>
        {
            ChainFault::Reordered {
                seq,
                line,
                expected,
            }
        }
        other => other,
    }
}
