//! The end of the chain read backwards, newest record first, a chunk at a
//! time: what the console's overview and its filtered lists need, without
//! reading a log that may hold years from its start. Every read here is
//! bounded by a number of bytes given by the caller.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::audit::ChainFile;
use crate::audit::record::Record;

/// How much is read at a time.
const CHUNK: u64 = 64 * 1024;

/// The complete lines of a log, newest first, read backwards from its last
/// line boundary (a torn or unfinished last line is left out).
#[derive(Debug)]
pub(crate) struct Backwards {
    file: ChainFile,
    /// Where the bytes held in `pending` begin.
    pos: u64,
    /// The bytes `[pos, pos + pending.len())` not yet returned; empty, or
    /// ending with a newline.
    pending: Vec<u8>,
    /// The line boundary reading began at.
    end: u64,
    /// Bytes read so far, and the most to read.
    read: u64,
    cap: u64,
    /// Whether reading stopped at the cap before the log's start.
    capped: bool,
}

impl Backwards {
    /// Read `file`, `len` bytes long, backwards, at most `cap` bytes (a
    /// chunk more when a line straddles the cap).
    ///
    /// # Errors
    ///
    /// When the file cannot be read.
    pub(crate) fn from_end(file: ChainFile, len: u64, cap: u64) -> std::io::Result<Self> {
        let mut b = Self {
            file,
            pos: len,
            pending: Vec::new(),
            end: len,
            read: 0,
            cap,
            capped: false,
        };
        loop {
            if let Some(i) = b.pending.iter().rposition(|&c| c == b'\n') {
                b.pending.truncate(i + 1);
                b.end = b.pos + b.pending.len() as u64;
                return Ok(b);
            }
            if !b.fill()? {
                // No line ends in reach: nothing to read back (an empty log
                // or one unfinished line: begin at the start; one line
                // longer than the cap: at the end).
                b.pending.clear();
                if b.pos == 0 {
                    b.end = 0;
                }
                return Ok(b);
            }
        }
    }

    /// Open the log at `path` and read it backwards (see [`Self::from_end`]).
    ///
    /// # Errors
    ///
    /// When the log cannot be opened or read.
    pub(crate) fn open(path: &Path, cap: u64) -> std::io::Result<Self> {
        let file = ChainFile::open(path)?;
        let len = file.len();
        Self::from_end(file, len, cap)
    }

    /// The line boundary reading began at: everything before it is whole
    /// lines.
    pub(crate) fn end(&self) -> u64 {
        self.end
    }

    /// Whether reading stopped at the cap before the log's start.
    pub(crate) fn capped(&self) -> bool {
        self.capped
    }

    /// Put the chunk before `pos` in front of `pending`; false at the
    /// log's start or at the cap.
    fn fill(&mut self) -> std::io::Result<bool> {
        if self.pos == 0 {
            return Ok(false);
        }
        if self.read >= self.cap {
            self.capped = true;
            return Ok(false);
        }
        let n = CHUNK.min(self.pos);
        let from = self.pos - n;
        self.file.seek(SeekFrom::Start(from))?;
        // `n` is at most CHUNK, which fits any usize.
        let mut chunk = vec![0; usize::try_from(n).unwrap_or(0)];
        self.file.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&self.pending);
        self.pending = chunk;
        self.pos = from;
        self.read += n;
        Ok(true)
    }

    /// The next line back, without its newline, and where it begins.
    ///
    /// # Errors
    ///
    /// When the file cannot be read.
    pub(crate) fn next_line(&mut self) -> std::io::Result<Option<(u64, Vec<u8>)>> {
        loop {
            let Some(body) = self.pending.len().checked_sub(1) else {
                return Ok(None);
            };
            if let Some(i) = self.pending[..body].iter().rposition(|&c| c == b'\n') {
                let line = self.pending[i + 1..body].to_vec();
                self.pending.truncate(i + 1);
                return Ok(Some((self.pos + i as u64 + 1, line)));
            }
            if !self.fill()? {
                if self.pos == 0 {
                    // The log's first line.
                    let mut line = std::mem::take(&mut self.pending);
                    line.pop();
                    return Ok(Some((0, line)));
                }
                // At the cap, in the middle of a line.
                self.pending.clear();
                return Ok(None);
            }
        }
    }
}

/// When a stored line was written, read from its `time` field without
/// parsing the whole record (records begin with `v`, `seq`, `time`).
pub(crate) fn line_time(line: &[u8]) -> Option<DateTime<Utc>> {
    const KEY: &[u8] = b"\"time\":\"";
    let head = &line[..line.len().min(160)];
    let at = head.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let len = head[at..].iter().position(|&c| c == b'"')?;
    let text = std::str::from_utf8(&head[at..at + len]).ok()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// What [`read_recent`] found.
#[derive(Debug, Clone, Default)]
pub struct Recent {
    /// The records kept, newest first.
    pub records: Vec<Record>,
    /// Whether every record since the time asked for was looked at
    /// (false: the limit of records or the cap of bytes came first).
    pub complete: bool,
    /// Bytes of the log read.
    pub bytes_read: u64,
}

/// The records written at or after `since` that `keep` accepts, newest
/// first, read backwards from the end of the log at `log`: at most `limit`
/// of them, reading back at most `cap` bytes. Unreadable lines are skipped
/// (`audit verify` reports them).
///
/// # Errors
///
/// When the log cannot be opened or read.
pub fn read_recent(
    log: &Path,
    since: DateTime<Utc>,
    cap: u64,
    limit: usize,
    mut keep: impl FnMut(&Record) -> bool,
) -> std::io::Result<Recent> {
    let mut back = Backwards::open(log, cap)?;
    let mut out = Recent::default();
    let end = back.end();
    let mut oldest = end;
    loop {
        let Some((at, line)) = back.next_line()? else {
            out.complete = !back.capped();
            break;
        };
        oldest = at;
        if line_time(&line).is_some_and(|t| t < since) {
            out.complete = true;
            break;
        }
        let Ok(r) = serde_json::from_slice::<Record>(&line) else {
            continue;
        };
        if keep(&r) {
            if out.records.len() == limit {
                break;
            }
            out.records.push(r);
        }
    }
    out.bytes_read = end - oldest;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_back(text: &str, cap: u64) -> (Vec<(u64, String)>, u64, bool) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("log");
        std::fs::write(&p, text).unwrap();
        let mut b = Backwards::open(&p, cap).unwrap();
        let mut out = Vec::new();
        while let Some((at, l)) = b.next_line().unwrap() {
            out.push((at, String::from_utf8(l).unwrap()));
        }
        (out, b.end(), b.capped())
    }

    #[test]
    fn lines_come_back_newest_first_without_a_torn_tail() {
        let (got, end, capped) = lines_back("a\nbb\nccc\ntorn", 1 << 20);
        assert_eq!(got, [(5, "ccc".into()), (2, "bb".into()), (0, "a".into())]);
        assert_eq!((end, capped), (9, false));
        assert_eq!(lines_back("", 10).0, []);
        let (got, end, _) = lines_back("unfinished", 1 << 20);
        assert_eq!((got, end), (vec![], 0));
    }

    #[test]
    fn lines_longer_than_a_chunk_and_the_cap_are_handled() {
        let long = "x".repeat(200_000);
        let text = format!("first\n{long}\nlast\n");
        let (got, _, capped) = lines_back(&text, 1 << 20);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1], (6, long.clone()));
        assert!(!capped);
        // A cap of one chunk stops inside the long line: only what is whole.
        let (got, _, capped) = lines_back(&text, 1);
        assert_eq!(got, [(200_007, "last".into())]);
        assert!(capped);
    }

    #[test]
    fn the_time_is_read_from_the_head_of_a_line() {
        let t = line_time(br#"{"v":8,"seq":3,"time":"2026-11-28T08:00:00.000Z","kind":"x"}"#);
        assert_eq!(t.unwrap().to_rfc3339(), "2026-11-28T08:00:00+00:00");
        assert!(line_time(b"{\"seq\":1}").is_none());
    }
}
