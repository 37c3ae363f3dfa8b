//! A bounded, incremental tally of the chain: calls per minute by decision
//! (allowed, allowed with approval, held, refused by layer), by agent and
//! by tool, and stop buttons pressed, for the last 24 hours; and running
//! totals since the tally began, for counters.
//!
//! Like [`CallIndex`](crate::audit::CallIndex), each [`Tally::refresh`]
//! reads only what was appended since the last one (from a line boundary).
//! Its first refresh does not read the chain from its start, which may be
//! many gigabytes back: it reads backwards from the end, a chunk at a time,
//! until it meets a record older than 24 hours or has read back
//! [`READ_BACK`] bytes, and counts forward from the next line boundary.
//! Every map it keeps is bounded; minutes older than 24 hours are dropped.
//!
//! ```no_run
//! # fn run(log: std::path::PathBuf) -> std::io::Result<()> {
//! let tally = warrant::audit::Tally::new(log);
//! tally.refresh()?; // the last 24 h (bounded read-back), then what was appended
//! let hour = tally.overview(chrono::Utc::now(), 60, 1, 8);
//! println!("{} calls refused in the last hour", hour.calls.refused);
//! for (key, n) in tally.totals().calls {
//!     println!("{} {} {} {n}", key.tool, key.decision.as_str(), key.layer);
//! }
//! # Ok(()) }
//! ```

mod counts;
#[cfg(test)]
mod tests;

use crate::audit::ChainFile;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use crate::audit::event::Event;
use crate::audit::recent::{Backwards, line_time};
use crate::audit::record::Record;
use counts::Minute;
pub use counts::{CallKey, CallTotals, OTHER, Overview, Split, UNVERIFIED};

/// How far back the tally keeps minutes: 24 hours.
pub const WINDOW_MINUTES: i64 = 24 * 60;

/// The most a tally reads back from the end of the chain to find the start
/// of its window: 64 MiB.
pub const READ_BACK: u64 = 64 * crate::vocab::MIB;

/// A bounded, incremental tally of one chain (see the module docs).
#[derive(Debug)]
pub struct Tally {
    log: PathBuf,
    read_back: u64,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Whether the window's start was found (at the first refresh).
    started: bool,
    /// Where counting began at the first refresh (a line boundary).
    start: u64,
    /// Bytes of the log counted so far (always at a line boundary).
    scanned: u64,
    /// Records from here on go into the totals: the end of the log at the
    /// first refresh, or when [`Tally::begin_now`] was called.
    began: u64,
    /// The end of the log when [`Tally::begin_now`] was called.
    begin_at: Option<u64>,
    /// The oldest record's time when the read-back stopped at its cap.
    covered_from: Option<DateTime<Utc>>,
    /// Minutes since the epoch → what they hold.
    minutes: BTreeMap<i64, Minute>,
    totals: CallTotals,
}

impl Tally {
    /// A tally of the log at `log` (nothing is read until the first
    /// [`Tally::refresh`]).
    pub fn new(log: PathBuf) -> Self {
        Self::with_read_back(log, READ_BACK)
    }

    /// A tally that reads back at most `read_back` bytes to find the start
    /// of its window (and skips ahead when more than that was appended
    /// between two refreshes).
    pub fn with_read_back(log: PathBuf, read_back: u64) -> Self {
        Self {
            log,
            read_back: read_back.max(1),
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Count what was appended to the chain since the last refresh; at the
    /// first, find the window's start by reading back (at most
    /// [`READ_BACK`] bytes) and count from there. When more than the
    /// read-back cap was appended since the last refresh, skip ahead the
    /// same way (the bytes skipped are in [`CallTotals::skipped_bytes`]).
    /// A log that became shorter (replaced or cut) is tallied again from
    /// scratch. Its cost is reading what was appended, plus the read-back
    /// once.
    ///
    /// # Errors
    ///
    /// When the log cannot be read.
    pub fn refresh(&self) -> std::io::Result<()> {
        let mut st = self.state();
        let f = ChainFile::open(&self.log)?;
        let len = f.len();
        if len < st.scanned {
            *st = State::default();
        }
        let now = Utc::now();
        let floor = now.timestamp().div_euclid(60) - WINDOW_MINUTES + 1;
        if !st.started || len - st.scanned > self.read_back {
            let since = counts::minute_start(floor);
            let (start, end, covered) =
                start_of(ChainFile::open(&self.log)?, len, since, self.read_back)?;
            if st.started {
                let start = start.max(st.scanned);
                st.totals.skipped_bytes += start - st.scanned;
                st.scanned = start;
            } else {
                st.started = true;
                let began = st.begin_at.map_or(end, |b| b.min(end));
                (st.start, st.scanned, st.began) = (start, start, began);
                st.totals.began = Some(now);
            }
            st.covered_from = covered;
        }
        let (from, began) = (st.scanned, st.began);
        st.scanned = crate::audit::tail::appended(f, from, |at, line| {
            st.count(line, at >= began, floor);
        })?;
        st.minutes = st.minutes.split_off(&floor);
        Ok(())
    }

    /// Make the totals begin with what is appended from now on (the end
    /// of the log now: one `stat`), however late the first refresh runs —
    /// e.g. a server's, whose read-back runs off its start-up path.
    ///
    /// # Errors
    ///
    /// When the log's size cannot be read.
    pub fn begin_now(&self) -> std::io::Result<()> {
        let len = ChainFile::open(&self.log)?.len();
        let mut st = self.state();
        if !st.started {
            st.begin_at = Some(len);
        }
        Ok(())
    }

    /// The running totals since the tally began (its first refresh), as
    /// of the last refresh: calls by (plugin, tool, decision, layer) and
    /// stop buttons by action — see [`CallTotals`] and [`CallKey`]. Meant
    /// for counters: call [`Tally::refresh`] first.
    pub fn totals(&self) -> CallTotals {
        self.state().totals.clone()
    }

    /// The last `window` minutes up to `now`'s (included) as of the last
    /// refresh, calls in bins of `bin` minutes, and the `top` agents and
    /// tools.
    pub fn overview(&self, now: DateTime<Utc>, window: i64, bin: i64, top: usize) -> Overview {
        let st = self.state();
        let mut o = counts::overview(st.minutes.iter(), now, window, bin, top);
        o.covered_from = st.covered_from.filter(|t| *t > o.since);
        o
    }

    /// The log this tally reads.
    pub fn log(&self) -> &std::path::Path {
        &self.log
    }

    /// Where counting began at the first refresh.
    #[cfg(test)]
    fn start(&self) -> u64 {
        self.state().start
    }
}

impl State {
    /// Count one stored line; into the totals too when `counted`.
    fn count(&mut self, line: &[u8], counted: bool, floor: i64) {
        let Ok(r) = serde_json::from_slice::<Record>(line) else {
            return;
        };
        if !crate::audit::event::is_decision_kind(&r.kind)
            && !crate::audit::is_operator_kind(&r.kind)
        {
            return;
        }
        let minute = DateTime::parse_from_rfc3339(&r.time)
            .ok()
            .map(|t| t.timestamp().div_euclid(60))
            .filter(|m| *m >= floor);
        let Ok(e) =
            serde_json::from_value::<Event>(serde_json::json!({"kind": r.kind, "data": r.data}))
        else {
            return;
        };
        let mut bucket = minute.map(|m| self.minutes.entry(m).or_default());
        match e.decided() {
            Some(d) => {
                if let Some(b) = bucket.as_mut() {
                    b.call(d);
                }
                if counted {
                    self.totals.call(d);
                }
            }
            _ => {
                if let Some(action) = stop_action(&e) {
                    if let Some(b) = bucket.as_mut() {
                        b.stop(action);
                    }
                    if counted {
                        self.totals.stop(action);
                    }
                }
            }
        }
    }
}

/// The stop button (or its release) a record stands for: `halt`,
/// `resume`, `quarantine`, `release`, `revoke`, `disable` or `enable`.
pub fn stop_action(e: &Event) -> Option<&'static str> {
    if is_stop(e) {
        e.operator_action().map(crate::keys::ActionKind::as_str)
    } else {
        None
    }
}

/// Whether `e` is a stop button or its release: halt, resume,
/// quarantine, release, revoke, disable, enable.
pub fn is_stop(e: &Event) -> bool {
    matches!(
        e,
        Event::HostHalted(_)
            | Event::HostResumed(_)
            | Event::AgentQuarantined(_)
            | Event::AgentReleased(_)
            | Event::TokenRevoked(_)
            | Event::PluginDisabled(_)
            | Event::PluginEnabled(_)
    )
}

/// Where a window that begins at `since` begins in a log `len` bytes long:
/// the offset of the oldest line written at or after `since`, reading back
/// at most `cap` bytes; the end it read back from (a line boundary); and,
/// when the cap came first, the time of the oldest line read.
fn start_of(
    file: ChainFile,
    len: u64,
    since: DateTime<Utc>,
    cap: u64,
) -> std::io::Result<(u64, u64, Option<DateTime<Utc>>)> {
    let mut back = Backwards::from_end(file, len, cap)?;
    let end = back.end();
    let mut start = end;
    let mut oldest = None;
    while let Some((at, line)) = back.next_line()? {
        let t = line_time(&line);
        if t.is_some_and(|t| t < since) {
            return Ok((start, end, None));
        }
        start = at;
        oldest = t.or(oldest);
    }
    Ok((start, end, if back.capped() { oldest } else { None }))
}
