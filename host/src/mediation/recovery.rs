//! Calls a crash interrupted. Every process that acts as the host — a
//! server, the demo, a one-shot CLI call — holds an exclusive lock on a
//! file of its own, `live/<prefix>.lock` in the state directory, for its
//! whole life (the prefix is the one its call ids carry). A lock file that
//! no process holds belongs to a process that ended without stopping: a
//! crash, a kill. The next process to start on the state then
//!
//! * records each call that process decided but never finished as
//!   `call.interrupted` — the tool may have run and had its effect, or
//!   not; the chain says so instead of staying silent. The lock file is
//!   also the process's journal of calls about to run (`intents`): a call
//!   written ahead there with no record in the chain was cut short. (A
//!   chain written by format 8 or earlier holds the decision itself, as
//!   `call.decided` without `call.completed`.) And it
//! * gives back the in-flight slots it held in a fleet's shared state at
//!   once, instead of when their leases expire.
//!
//! A process that stops normally removes its file; finding none costs one
//! directory listing.

use std::collections::BTreeMap;
use std::fs::File;

use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt as _};

use crate::audit::event::{Attribution, CallInterrupted, DecidedAhead, Event};
use crate::audit::{AuditLog, Filter, read_records};
use crate::state::SharedState;

const SUFFIX: &str = ".lock";

/// This process's claim to be alive; its file goes when it is dropped.
#[derive(Debug)]
pub(crate) struct Alive {
    dir: Dir,
    name: String,
    file: File,
}

impl Alive {
    /// This process's journal of calls about to run, MACed with `key`.
    ///
    /// # Errors
    ///
    /// When the lock file cannot be opened again.
    pub(crate) fn journal(&self, key: Vec<u8>) -> std::io::Result<super::intents::Journal> {
        Ok(super::intents::Journal::new(self.file.try_clone()?, key))
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        let _ = self.dir.remove_file(&self.name);
    }
}

/// A process that ended without stopping: its call-id prefix, and its
/// lock file (held by this process now, so that no other recovers it too).
#[derive(Debug)]
pub(crate) struct Dead {
    prefix: String,
    name: String,
    _file: File,
}

/// Claim `prefix` in `dir` (the state directory's `live/`) and find the
/// processes that died there.
///
/// # Errors
///
/// When the directory or the lock file cannot be used.
pub(crate) fn claim(dir: Dir, prefix: &str) -> std::io::Result<(Alive, Vec<Dead>)> {
    let name = format!("{prefix}{SUFFIX}");
    let mut o = OpenOptions::new();
    o.write(true).create(true).mode(0o600);
    let mut append = o.clone();
    append.append(true);
    let mine = dir.open_with(&name, &append)?.into_std();
    mine.lock()?;
    // A journal of this process's own, from empty.
    mine.set_len(0)?;
    let mut dead = Vec::new();
    for entry in dir.entries()? {
        let Ok(entry) = entry else { continue };
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(other) = file_name.strip_suffix(SUFFIX) else {
            continue;
        };
        if other == prefix {
            continue;
        }
        let Ok(f) = dir
            .open_with(&file_name, &o)
            .map(cap_std::fs::File::into_std)
        else {
            continue;
        };
        // A process alive holds its lock; one that died holds nothing.
        if f.try_lock().is_ok() {
            dead.push(Dead {
                prefix: other.to_owned(),
                name: file_name,
                _file: f,
            });
        }
    }
    Ok((
        Alive {
            dir,
            name,
            file: mine,
        },
        dead,
    ))
}

/// Record the calls the `dead` processes left without an outcome as
/// interrupted, give back their fleet slots (`host_id/prefix` owns them),
/// and remove their lock files from `dir`. `key` is the audit MAC key
/// their journals were written with.
pub(crate) async fn recover(
    dead: Vec<Dead>,
    dir: &Dir,
    audit: &AuditLog,
    state: &dyn SharedState,
    host_id: &str,
    key: &[u8],
) {
    if dead.is_empty() {
        return;
    }
    let prefixes: Vec<String> = dead.iter().map(|d| format!("call-{}-", d.prefix)).collect();
    let mut ahead = Vec::new();
    for d in &dead {
        let bytes = dir.read(&d.name).unwrap_or_default();
        let (intents, forged) = super::intents::read(&bytes, key);
        if forged > 0 {
            tracing::error!(
                "{forged} line(s) of the journal {} do not verify under this host's audit key: ignored",
                d.name
            );
        }
        ahead.extend(intents);
    }
    let open = match read_records(&audit.paths().log, &Filter::default()) {
        Ok(records) => open_calls(&records, &prefixes, ahead),
        Err(e) => {
            tracing::error!("cannot read the audit chain to find calls a crash interrupted: {e}");
            return;
        }
    };
    for open in open {
        tracing::warn!(
            "call {} was decided but its process ended before its outcome was recorded: recorded as interrupted",
            open.who.call_id.as_deref().unwrap_or("-")
        );
        let event = Event::CallInterrupted(Box::new(CallInterrupted {
            who: open.who,
            decided_seq: open.seq,
            decision: open.decision,
            reason: "the host process ended (a crash or a kill) after the call was decided and before its outcome was recorded; the tool may or may not have run".into(),
            decided: open.ahead,
        }));
        if let Err(e) = audit.append(&event, true).await {
            tracing::error!("an interrupted call could not be recorded: {e}");
            return;
        }
    }
    for d in dead {
        let owner = format!("{host_id}/{}", d.prefix);
        match state.leave_slots_of(&owner).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                "gave back {n} in-flight slot(s) held by a host process that ended without stopping ({owner})"
            ),
            Err(e) => tracing::warn!("the slots of {owner} are left to expire: {e}"),
        }
        let _ = dir.remove_file(&d.name);
    }
}

/// A call decided and never ended.
#[derive(Debug)]
struct Open {
    who: Attribution,
    /// Its `call.decided` record (formats up to 8).
    seq: Option<u64>,
    decision: String,
    /// Its decision as written ahead (format 9).
    ahead: Option<Box<DecidedAhead>>,
}

/// The calls decided and never ended nor marked interrupted: those with
/// one of `prefixes` decided in `records` (formats up to 8) or held for an
/// approval there, and those written `ahead` to a dead process's journal
/// (format 9), in the order they were decided.
fn open_calls(
    records: &[crate::audit::Record],
    prefixes: &[String],
    ahead: Vec<super::intents::Intent>,
) -> Vec<Open> {
    let mut open = BTreeMap::new();
    for (n, i) in ahead.into_iter().enumerate() {
        let Some(id) = i.call.who.call_id.clone() else {
            continue;
        };
        let d = i.call;
        let decided = DecidedAhead {
            at: i.at,
            input_digest: d.input_digest,
            input_size: d.input_size,
            decision: d.decision,
            approval: d.approval,
        };
        let order = (0, n as u64);
        open.insert(
            id,
            (
                order,
                Open {
                    who: d.who,
                    seq: None,
                    decision: decided.decision.result.as_str().to_owned(),
                    ahead: Some(Box::new(decided)),
                },
            ),
        );
    }
    for r in records {
        let Some(event) = r.event() else { continue };
        let Some(id) = event.call_id().map(str::to_owned) else {
            continue;
        };
        match event {
            Event::CallDecided(d) if prefixes.iter().any(|p| id.starts_with(p.as_str())) => {
                let open_call = Open {
                    who: d.who.clone(),
                    seq: Some(r.seq),
                    decision: d.decision.result.as_str().to_owned(),
                    ahead: None,
                };
                open.insert(id, ((1, r.seq), open_call));
            }
            // A call held for approval when its process died has no
            // record yet (it is written ahead only once it may run).
            Event::ApprovalRequested(a) if prefixes.iter().any(|p| id.starts_with(p.as_str())) => {
                open.entry(id).or_insert((
                    (1, r.seq),
                    Open {
                        who: a.who.clone(),
                        seq: None,
                        decision: "held".into(),
                        ahead: None,
                    },
                ));
            }
            Event::Call(_) | Event::CallCompleted(_) | Event::CallInterrupted(_) => {
                open.remove(&id);
            }
            _ => {}
        }
    }
    let mut out: Vec<_> = open.into_values().collect();
    out.sort_by_key(|(order, _)| *order);
    out.into_iter().map(|(_, o)| o).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Record;
    use crate::audit::event::{ApprovalRequested, CallEnded, CallRecord, Decision, DecisionResult};

    fn who(id: &str) -> Attribution {
        Attribution {
            call_id: Some(id.into()),
            tool: Some("case-note.append".into()),
            ..Attribution::default()
        }
    }

    fn held(id: &str) -> Event {
        Event::ApprovalRequested(Box::new(ApprovalRequested {
            approval_id: format!("apr-{id}"),
            who: who(id),
            args_digest: String::new(),
            tool_digest: String::new(),
            approvers: vec!["carol".into()],
            why: "high impact".into(),
            policies: Vec::new(),
            prompt: None,
            context: None,
        }))
    }

    fn decided(id: &str) -> crate::audit::event::CallDecided {
        crate::audit::event::CallDecided {
            who: who(id),
            input_digest: "sha256:00".into(),
            input_size: 2,
            args: None,
            prompt: None,
            context: None,
            decision: Decision {
                result: DecisionResult::AllowWithApproval,
                layer: "approval".into(),
                policies: Vec::new(),
                reason: String::new(),
            },
            approval: None,
            approval_id: None,
            degraded: None,
        }
    }

    /// A call held for approval when its process died is open (recorded
    /// as interrupted, `held`); one that ended is not; one written ahead
    /// keeps the decision it was written with.
    #[test]
    fn held_calls_of_a_dead_process_are_open_and_written_ahead_ones_keep_their_decision() {
        let ended = Event::Call(Box::new(CallRecord {
            decided: decided("call-dead-2"),
            ended: CallEnded {
                outcome: "held".into(),
                error: None,
                duration_ms: 1,
                output_digest: None,
                output_size: 0,
                uses: Vec::new(),
                uses_dropped: 0,
            },
        }));
        let events = [
            held("call-dead-1"),
            held("call-dead-2"),
            ended,
            held("call-dead-3"),
            held("call-live-1"),
        ];
        let records: Vec<Record> = events
            .iter()
            .enumerate()
            .map(|(i, e)| Record::seal(i as u64 + 1, "2026-12-06T00:00:00.000Z", None, "", e, b"k"))
            .collect();
        let ahead = vec![super::super::intents::Intent {
            at: "2026-12-06T00:00:00.000Z".into(),
            call: decided("call-dead-3"),
        }];
        let open = open_calls(&records, &["call-dead-".into()], ahead);
        let ids: Vec<(&str, &str, bool)> = open
            .iter()
            .map(|o| {
                (
                    o.who.call_id.as_deref().unwrap_or(""),
                    o.decision.as_str(),
                    o.ahead.is_some(),
                )
            })
            .collect();
        assert_eq!(
            ids,
            [
                ("call-dead-3", "allow-with-approval", true),
                ("call-dead-1", "held", false)
            ]
        );
    }
}
