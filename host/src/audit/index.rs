//! An index of the chain by call id, task and approval request, kept up to date incrementally: each
//! lookup reads only what was appended since the last one, so answering
//! `GET /v1/calls/{id}` does not re-read the whole log.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Mutex;

use crate::audit::event::Event;
use crate::audit::record::Record;

/// Where each call's records are in the log.
#[derive(Debug)]
pub struct CallIndex {
    log: PathBuf,
    state: Mutex<IndexState>,
}

#[derive(Debug, Default)]
struct IndexState {
    /// Bytes of the log indexed so far (always at a line boundary).
    scanned: u64,
    /// call id, task, approval id → (offset, length) of their lines.
    keys: HashMap<Key, Vec<(u64, u64)>>,
}

/// What records are looked up by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Call(String),
    Task(String),
    Approval(String),
    Tokens,
    Stops,
}

impl CallIndex {
    /// An index of the log at `log` (nothing is read until the first
    /// lookup).
    pub fn new(log: PathBuf) -> Self {
        Self {
            log,
            state: Mutex::new(IndexState::default()),
        }
    }

    /// The records of one call, in chain order.
    ///
    /// # Errors
    ///
    /// When the log cannot be read.
    pub fn records_of(&self, call_id: &str) -> std::io::Result<Vec<Record>> {
        self.lookup(&Key::Call(call_id.to_owned()))
    }

    /// The records of one task, in chain order.
    ///
    /// # Errors
    ///
    /// When the log cannot be read.
    pub fn records_of_task(&self, task: &str) -> std::io::Result<Vec<Record>> {
        self.lookup(&Key::Task(task.to_owned()))
    }

    /// The request `id` and the records of the call it holds.
    ///
    /// # Errors
    ///
    /// When the log cannot be read.
    pub fn records_of_approval(&self, id: &str) -> std::io::Result<Vec<Record>> {
        self.lookup(&Key::Approval(id.to_owned()))
    }

    /// The records of every task token issued or exchanged.
    ///
    /// # Errors
    ///
    /// When the log cannot be read.
    pub fn token_records(&self) -> std::io::Result<Vec<Record>> {
        self.lookup(&Key::Tokens)
    }

    /// The records of every stop button pressed.
    ///
    /// # Errors
    ///
    /// When the log cannot be read.
    pub fn stop_records(&self) -> std::io::Result<Vec<Record>> {
        self.lookup(&Key::Stops)
    }

    fn lookup(&self, key: &Key) -> std::io::Result<Vec<Record>> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut f = std::fs::File::open(&self.log)?;
        let len = f.metadata()?.len();
        if len < st.scanned {
            // The log was replaced or cut: start again.
            *st = IndexState::default();
        }
        let from = st.scanned;
        let keys = &mut st.keys;
        let scanned = crate::audit::tail::appended(&mut f, from, |at, line| {
            if let Some(e) = serde_json::from_slice::<Record>(line)
                .ok()
                .and_then(|r| r.event())
            {
                let spot = (at, line.len() as u64);
                if let Some(id) = e.call_id() {
                    keys.entry(Key::Call(id.to_owned())).or_default().push(spot);
                }
                if let Some(t) = e.task() {
                    keys.entry(Key::Task(t.to_owned())).or_default().push(spot);
                }
                if matches!(e, Event::TokenIssued(_) | Event::TokenExchanged(_)) {
                    keys.entry(Key::Tokens).or_default().push(spot);
                }
                if crate::audit::tally::is_stop(&e) {
                    keys.entry(Key::Stops).or_default().push(spot);
                }
                let approval = match &e {
                    Event::Call(c) => c.decided.approval_id.as_ref(),
                    Event::CallDecided(d) => d.approval_id.as_ref(),
                    Event::ApprovalRequested(a) => Some(&a.approval_id),
                    _ => None,
                };
                if let Some(a) = approval {
                    keys.entry(Key::Approval(a.clone())).or_default().push(spot);
                }
            }
        })?;
        st.scanned = scanned;
        let spots = st.keys.get(key).cloned().unwrap_or_default();
        drop(st);
        let mut out = Vec::new();
        for (offset, n) in spots {
            f.seek(SeekFrom::Start(offset))?;
            let mut buf = vec![0; usize::try_from(n).unwrap_or(0)];
            (&mut f).take(n).read_exact(&mut buf)?;
            if let Ok(r) = serde_json::from_slice::<Record>(&buf) {
                out.push(r);
            }
        }
        Ok(out)
    }
}
