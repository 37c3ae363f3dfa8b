//! An index of the chain by call id, kept up to date incrementally: each
//! lookup reads only what was appended since the last one, so answering
//! `GET /v1/calls/{id}` does not re-read the whole log.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Mutex;

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
    /// call id → (offset, length) of its lines.
    calls: HashMap<String, Vec<(u64, u64)>>,
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
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut f = std::fs::File::open(&self.log)?;
        let len = f.metadata()?.len();
        if len < st.scanned {
            // The log was replaced or cut: start again.
            *st = IndexState::default();
        }
        f.seek(SeekFrom::Start(st.scanned))?;
        let mut reader = BufReader::new(&mut f);
        let mut line = Vec::new();
        let mut at = st.scanned;
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line)?;
            if n == 0 || line.last() != Some(&b'\n') {
                break;
            }
            if let Some(id) = serde_json::from_slice::<Record>(&line)
                .ok()
                .and_then(|r| r.event())
                .and_then(|e| e.call_id().map(str::to_owned))
            {
                st.calls.entry(id).or_default().push((at, n as u64));
            }
            at += n as u64;
        }
        st.scanned = at;
        let spots = st.calls.get(call_id).cloned().unwrap_or_default();
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
