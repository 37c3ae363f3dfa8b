//! One verification of the chain, from its first record or from a
//! verified mark: the checkpoints read and checked, the walk along the
//! records, and what can only be judged at the chain's end (truncation
//! after a checkpoint or below the mark, uncovered records, witnesses).

use std::io::{BufRead, BufReader, Seek as _, SeekFrom};
use std::path::Path;

use crate::audit::fault::ChainFault;
use crate::audit::mark::MarkBody;
use crate::audit::rules_check::RulesSeen;
use crate::audit::tlog::check::NoteCheck;
use crate::audit::verify_checkpoints::{Loaded, heads, load, split_view};
use crate::audit::verify_walk::{Walk, reordered};
use crate::audit::{ChainSummary, VerifyKeys, VerifyOptions};

/// A verification that held.
pub(crate) struct Ran<'k> {
    /// The walk at the chain's end.
    pub(crate) walk: Walk<'k>,
    /// The chain's checkpoints file as read.
    pub(crate) own: Loaded,
    /// The witness copy as read.
    pub(crate) copy: Loaded,
    /// Whether the log ended with a whole line (a mark can end there).
    pub(crate) whole: bool,
}

/// Where to start.
#[derive(Clone, Copy)]
pub(crate) enum Begin<'m> {
    /// At the first record; when a mark is given, the chain must still
    /// hold the record it ends at.
    Start(Option<&'m MarkBody>),
    /// After the records the mark covers.
    Mark(&'m MarkBody),
}

/// Verify the chain. `Ok(Err(why))` when going on from the mark is not
/// possible (never from the start).
pub(crate) fn run<'k>(
    log: &Path,
    checkpoints: &Path,
    keys: &'k VerifyKeys,
    opts: &VerifyOptions,
    progress: &mut dyn FnMut(u64, u64),
    fast: bool,
    from: Begin<'_>,
) -> Result<Result<Ran<'k>, String>, ChainFault> {
    let resume = match from {
        Begin::Mark(m) => Some(m),
        Begin::Start(_) => None,
    };
    let witness_name = opts
        .witness
        .as_ref()
        .map(|w| w.display().to_string())
        .unwrap_or_default();
    let mut notes = NoteCheck::new(keys.checkpoint, &keys.witnesses);
    if let Some(m) = resume
        && let Err(why) = crate::audit::verify_resume::notes_from(&mut notes, m)
    {
        return Ok(Err(why));
    }
    let (own, copy) = match &keys.checkpoint {
        Some(pk) => {
            let own = match load(checkpoints, pk, resume.map(|m| &m.checkpoints))? {
                Ok(l) => l,
                Err(why) => return Ok(Err(why)),
            };
            let copy = match &opts.witness {
                Some(w) => {
                    let seen = resume.and_then(|m| m.witness.as_ref()).map(|w| &w.seen);
                    match load(w, pk, seen)? {
                        Ok(l) => l,
                        Err(why) => return Ok(Err(why)),
                    }
                }
                None => Loaded::default(),
            };
            (own, copy)
        }
        None => (Loaded::default(), Loaded::default()),
    };
    // Two validly signed heads for one seq: the chain forked and both
    // forks checkpointed. Whichever fork is being verified, that is the
    // split view a witness exists to expose.
    let (own_heads, copy_heads) = (heads(&own.cps), heads(&copy.cps));
    if let Some(seq) = split_view(&copy_heads) {
        return Err(ChainFault::SplitView {
            file: witness_name,
            seq,
        });
    }
    if let Some(seq) = split_view(&own_heads) {
        return Err(ChainFault::SplitView {
            file: checkpoints.display().to_string(),
            seq,
        });
    }
    let own_name = checkpoints.display().to_string();
    for (name, loaded) in [(&own_name, &own), (&witness_name, &copy)] {
        match resume {
            None => notes.add(name, &loaded.cps),
            Some(m) => {
                if let Err(why) = notes_after(&mut notes, name, loaded, &own, &copy, m)? {
                    return Ok(Err(why));
                }
            }
        }
    }
    let mut walk = Walk::new(
        keys,
        RulesSeen::new(log, keys.governors.clone()),
        notes,
        fast,
    );
    walk.witness_name = witness_name;
    walk.wanted = own_heads.iter().cloned().collect();
    walk.witnessed = copy_heads.iter().cloned().collect();
    let mut file = crate::audit::ChainFile::open(log)
        .map_err(|e| ChainFault::Io(format!("{}: {e}", log.display())))?;
    let total = file.len();
    match from {
        Begin::Mark(m) => {
            if total < m.offset {
                return Err(ChainFault::BelowMark {
                    seq: m.seq,
                    offset: m.offset,
                    time: m.time.clone(),
                    now: format!("is {total} bytes"),
                });
            }
            if let Err(why) = crate::audit::verify_resume::resume(&mut walk, m, &mut file)? {
                return Ok(Err(why));
            }
        }
        Begin::Start(Some(m)) if m.seq > 0 => walk.must_find = Some((m.seq, m.head.clone(), false)),
        Begin::Start(_) => {}
    }
    let parallel = fast
        .then(|| crate::audit::verify_par::workers(total.saturating_sub(walk.offset), opts.threads))
        .flatten();
    let walked = match parallel {
        Some(n) => crate::audit::verify_par::walk_chunks(&mut walk, &file, n, progress)?,
        None => None,
    };
    let whole = match walked {
        Some(whole) => whole,
        None => walk_alone(&mut walk, file, progress)?,
    };
    progress(total, total);
    finish(&mut walk, &own_heads, &copy_heads, opts, from)?;
    Ok(Ok(Ran {
        walk,
        own,
        copy,
        whole,
    }))
}

/// Walk from `walk.offset` to the end of `file` on this thread alone;
/// whether the last line ended with a newline.
fn walk_alone(
    walk: &mut Walk<'_>,
    file: crate::audit::ChainFile,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<bool, ChainFault> {
    let total = file.len();
    let mut reader = BufReader::with_capacity(1 << 20, file);
    reader
        .seek(SeekFrom::Start(walk.offset))
        .map_err(|e| ChainFault::Io(e.to_string()))?;
    let mut line = String::new();
    let mut whole = true;
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| ChainFault::Io(e.to_string()))?;
        if n == 0 {
            return Ok(whole);
        }
        whole = line.ends_with('\n');
        walk.step(&line)
            .map_err(|fault| reordered(fault, &mut reader))?;
        if walk.line_no.is_multiple_of(5000) {
            progress(walk.offset, total);
        }
    }
}

/// On from mark `m`: the notes of the checkpoints of `loaded` that the
/// mark did not read. One for a seq the mark covers (a witness's
/// cosignature that came later) must repeat a checkpoint the mark read,
/// for the same tree; `Ok(Err(why))` when it does not.
fn notes_after(
    notes: &mut NoteCheck,
    name: &str,
    loaded: &Loaded,
    own: &Loaded,
    copy: &Loaded,
    m: &MarkBody,
) -> Result<Result<(), String>, ChainFault> {
    let read_before = || own.cps[..own.before].iter().chain(&copy.cps[..copy.before]);
    let mut later = Vec::new();
    for cp in &loaded.cps[loaded.before..] {
        if cp.seq > m.seq || cp.seq == 0 {
            later.push(cp.clone());
            continue;
        }
        let Some(earlier) = read_before().find(|e| e.seq == cp.seq && e.head == cp.head) else {
            return Ok(Err(format!(
                "{name} has a checkpoint at seq {} that the mark did not read",
                cp.seq
            )));
        };
        if let Some(note) = &cp.note {
            let Some(before) = read_before()
                .filter(|e| e.seq == cp.seq)
                .find_map(|e| e.note.as_ref())
            else {
                return Ok(Err(format!(
                    "{name} has a note at seq {} where the mark read none (seq {})",
                    cp.seq, earlier.seq
                )));
            };
            notes.known(name, cp.seq, note, before)?;
        }
    }
    notes.add(name, &later);
    Ok(Ok(()))
}

/// What is judged at the chain's end.
fn finish(
    walk: &mut Walk<'_>,
    own: &[(u64, String)],
    copy: &[(u64, String)],
    opts: &VerifyOptions,
    from: Begin<'_>,
) -> Result<(), ChainFault> {
    let s: &mut ChainSummary = &mut walk.summary;
    s.open_calls = walk.open_calls.iter().cloned().collect();
    s.releases = walk.rules.releases.clone();
    for &(seq, _) in own {
        if seq > s.records {
            return Err(ChainFault::Truncated {
                checkpoint: seq,
                last: s.records,
            });
        }
        s.checkpoints += 1;
        s.last_checkpoint = s.last_checkpoint.max(seq);
    }
    for &(seq, _) in copy {
        if seq > s.records {
            return Err(ChainFault::Witness {
                witness: walk.witness_name.clone(),
                checkpoint: seq,
                why: format!(
                    "does not reach (it ends at seq {}): records were deleted from its end",
                    s.records
                ),
            });
        }
        s.witness_checkpoints += 1;
        s.last_checkpoint = s.last_checkpoint.max(seq);
    }
    if let (Begin::Start(Some(m)), Some((_, _, false))) = (from, &walk.must_find) {
        return Err(ChainFault::BelowMark {
            seq: m.seq,
            offset: m.offset,
            time: m.time.clone(),
            now: format!("ends at seq {}", s.records),
        });
    }
    s.uncovered = s.records - s.last_checkpoint.min(s.records);
    s.notes = walk.notes.checked;
    s.cosigned = walk.notes.cosigned.clone();
    if opts.require_witnesses > 0 {
        let (seq, names) = walk.notes.newest.clone().unwrap_or_default();
        if names.len() < opts.require_witnesses {
            return Err(ChainFault::Unwitnessed {
                seq,
                have: names.len(),
                need: opts.require_witnesses,
                names,
            });
        }
    }
    if opts.require_checkpoint && s.uncovered > 0 {
        return Err(ChainFault::Uncovered {
            uncovered: s.uncovered,
            last: s.records,
            last_checkpoint: s.last_checkpoint,
        });
    }
    Ok(())
}
