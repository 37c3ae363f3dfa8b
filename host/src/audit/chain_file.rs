//! The chain as one file. A chain rotates into segments: each sealed one
//! is `segments/<first seq, 20 digits>.jsonl` beside the open one
//! (`audit.jsonl`), and may be moved on to an archive folder. Read
//! through [`ChainFile`], the sealed segments (in seq order) and the open
//! one are one stream of bytes, at offsets that never change — a record's
//! offset is the same before and after its segment is sealed — so every
//! reader of the chain (whole, from an offset, or back from the end) reads
//! a segmented chain as it read one file.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

/// The folder of the sealed segments, beside the open one.
pub const SEGMENTS_DIR: &str = "segments";

/// The file name of the sealed segment whose first record is `first_seq`.
pub fn segment_name(first_seq: u64) -> String {
    format!("{first_seq:020}.jsonl")
}

/// One sealed segment, or the open one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Where it is.
    pub path: PathBuf,
    /// The seq of its first record (from its name; `None` for the open
    /// segment).
    pub first_seq: Option<u64>,
    /// Its offset in the chain.
    pub start: u64,
    /// Its length when the chain was opened.
    pub len: u64,
    /// Whether retention moved it to an archive (`path` is there).
    pub archived: bool,
}

/// The chain's segments read as one file.
#[derive(Debug)]
pub struct ChainFile {
    parts: Vec<Segment>,
    /// The open segment, opened with the listing (a rotation after that
    /// leaves this handle on what became a sealed segment: still the same
    /// bytes at the same offsets); `None` when there is none (a crash
    /// right after sealing the last one).
    open: Option<File>,
    pos: u64,
    /// The sealed segment being read, and its index.
    current: Option<(usize, File)>,
}

/// What is left in `segments/` of a sealed segment that retention moved
/// to an archive: `<first seq>.archived`, naming where it went and what
/// it was, so that the chain keeps its offsets (and says where to look)
/// whether or not the archive is at hand.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Archived {
    /// The folder it was moved to (its file keeps its name).
    pub moved_to: PathBuf,
    /// Its length.
    pub len: u64,
    /// The SHA-256 of its bytes, hex.
    pub sha256: String,
    /// Its first and last records.
    pub first_seq: u64,
    /// Its last record.
    pub last_seq: u64,
    /// When it was moved (RFC 3339).
    pub time: String,
}

/// A sealed segment found: where its bytes are, and their length when an
/// archive stub says it.
type Found = (PathBuf, Option<u64>);

/// The seq a segment file name (with `ext`) begins with.
fn seq_of(name: &str, ext: &str) -> Option<u64> {
    name.strip_suffix(ext)
        .filter(|n| n.len() == 20)
        .and_then(|n| n.parse::<u64>().ok())
}

/// The sealed segments in `dirs` (the chain's own folder first, then
/// archives), by first seq: a segment file found first wins, then a stub
/// of one moved to an archive.
fn sealed(dirs: &[PathBuf]) -> std::io::Result<Vec<Segment>> {
    let mut files: std::collections::BTreeMap<u64, Found> = std::collections::BTreeMap::new();
    let mut stubs: std::collections::BTreeMap<u64, Found> = std::collections::BTreeMap::new();
    for dir in dirs {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for e in entries {
            let e = e?;
            let name = e.file_name();
            let name = name.to_str().unwrap_or_default();
            if let Some(seq) = seq_of(name, ".jsonl") {
                files.entry(seq).or_insert_with(|| (e.path(), None));
            } else if let Some(seq) = seq_of(name, ".archived") {
                let a: Archived =
                    serde_json::from_slice(&std::fs::read(e.path())?).map_err(|why| {
                        std::io::Error::other(format!("{}: {why}", e.path().display()))
                    })?;
                let path = a.moved_to.join(segment_name(seq));
                stubs.entry(seq).or_insert((path, Some(a.len)));
            }
        }
    }
    for (seq, found) in stubs {
        files.entry(seq).or_insert(found);
    }
    let mut parts = Vec::with_capacity(files.len());
    let mut start = 0;
    for (seq, (path, stub_len)) in files {
        let len = match stub_len {
            // Moved to an archive: its length is known whether or not the
            // archive is at hand.
            Some(n) => n,
            None => std::fs::metadata(&path)?.len(),
        };
        parts.push(Segment {
            path,
            first_seq: Some(seq),
            start,
            len,
            archived: stub_len.is_some(),
        });
        start += len;
    }
    Ok(parts)
}

/// The sealed segments of `dirs` as last listed, while no entry of any of
/// the folders changed (their modification times): a sealed segment and a
/// stub never change, so a chain of many segments is listed again only
/// when one is sealed or moved — not at every read.
fn listing(dirs: &[PathBuf]) -> std::io::Result<Arc<Vec<Segment>>> {
    type Listings = HashMap<Vec<PathBuf>, (Vec<Option<SystemTime>>, Arc<Vec<Segment>>)>;
    static CACHE: OnceLock<Mutex<Listings>> = OnceLock::new();
    let stamp = |dirs: &[PathBuf]| -> Vec<Option<SystemTime>> {
        dirs.iter()
            .map(|d| std::fs::metadata(d).and_then(|m| m.modified()).ok())
            .collect()
    };
    let cache = CACHE.get_or_init(Mutex::default);
    let before = stamp(dirs);
    // A folder changed within the last two seconds may change again
    // within the same tick of its clock (file times are coarse): not
    // cached until it has been still for longer — as git does with its
    // index.
    let now = SystemTime::now();
    let settled = before.iter().flatten().all(|t| {
        now.duration_since(*t)
            .is_ok_and(|d| d > std::time::Duration::from_secs(2))
    });
    if settled
        && let Some((at, listed)) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(dirs)
        && *at == before
    {
        return Ok(Arc::clone(listed));
    }
    // A segment moved to an archive between the listing and its `stat`:
    // list again (the move leaves its stub first).
    let mut tries = 0;
    let listed = loop {
        match sealed(dirs) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && tries < 10 => tries += 1,
            other => break Arc::new(other?),
        }
    };
    if settled && stamp(dirs) == before {
        let mut c = cache.lock().unwrap_or_else(|p| p.into_inner());
        if c.len() >= 256 {
            c.clear();
        }
        c.insert(dirs.to_vec(), (before, Arc::clone(&listed)));
    }
    Ok(listed)
}

impl ChainFile {
    /// The chain whose open segment is `log`, its sealed segments beside
    /// it in [`SEGMENTS_DIR`].
    ///
    /// # Errors
    ///
    /// When the open segment or a folder cannot be read.
    pub fn open(log: &Path) -> std::io::Result<Self> {
        Self::open_with(log, &[])
    }

    /// [`ChainFile::open`], sealed segments also looked for in
    /// `archives` (where retention moved them).
    ///
    /// # Ambient Authority
    ///
    /// Reads the folders of a chain the caller names (an auditor's copy
    /// may be anywhere).
    ///
    /// # Errors
    ///
    /// As [`ChainFile::open`].
    pub fn open_with(log: &Path, archives: &[PathBuf]) -> std::io::Result<Self> {
        let mut dirs = vec![log.with_file_name(SEGMENTS_DIR)];
        dirs.extend(archives.iter().cloned());
        // A rotation between the listing and the opening would leave the
        // segment it sealed out: list again until the two agree.
        let mut listed = listing(&dirs)?;
        loop {
            let open = match File::open(log) {
                Ok(f) => Some(f),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !listed.is_empty() => None,
                Err(e) => return Err(e),
            };
            let again = listing(&dirs)?;
            if again == listed {
                return Self::assemble(&listed, open, log);
            }
            listed = again;
        }
    }

    fn assemble(sealed: &[Segment], open: Option<File>, log: &Path) -> std::io::Result<Self> {
        let mut parts = Vec::with_capacity(sealed.len() + 1);
        parts.extend_from_slice(sealed);
        let start = sealed.last().map_or(0, |p| p.start + p.len);
        parts.push(Segment {
            path: log.to_owned(),
            first_seq: None,
            start,
            archived: false,
            len: match &open {
                Some(f) => f.metadata()?.len(),
                None => 0,
            },
        });
        Ok(Self {
            parts,
            open,
            pos: 0,
            current: None,
        })
    }

    /// Another reader of the same segments, at the same offsets.
    ///
    /// # Errors
    ///
    /// When the open segment's handle cannot be duplicated.
    pub fn try_clone(&self) -> std::io::Result<Self> {
        Ok(Self {
            parts: self.parts.clone(),
            open: self.open.as_ref().map(File::try_clone).transpose()?,
            pos: 0,
            current: None,
        })
    }

    /// The chain's length when it was opened (the open segment may have
    /// grown since: reading goes on to its end).
    pub fn len(&self) -> u64 {
        self.parts.last().map_or(0, |p| p.start + p.len)
    }

    /// Whether the chain was empty when opened.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The segments, sealed ones first, the open one last.
    pub fn segments(&self) -> &[Segment] {
        &self.parts
    }

    /// The segment holding offset `at` (the open one beyond the others).
    fn part_of(&self, at: u64) -> usize {
        let last = self.parts.len() - 1;
        self.parts[..last]
            .iter()
            .position(|p| at < p.start + p.len)
            .unwrap_or(last)
    }

    /// Read at most `buf.len()` bytes at `at`, within one segment.
    fn read_part(&mut self, at: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        let i = self.part_of(at);
        let p = &self.parts[i];
        let within = at - p.start;
        if i == self.parts.len() - 1 {
            return self.open.as_ref().map_or(Ok(0), |f| f.read_at(buf, within));
        }
        let n = usize::try_from(p.len - within)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        if self.current.as_ref().is_none_or(|(c, _)| *c != i) {
            let f = File::open(&p.path).map_err(|e| {
                let moved = if p.archived {
                    " (moved there by retention: is the archive at hand?)"
                } else {
                    ""
                };
                std::io::Error::new(
                    e.kind(),
                    format!("segment {}{moved}: {e}", p.path.display()),
                )
            })?;
            self.current = Some((i, f));
        }
        let (_, f) = self.current.as_ref().expect("opened above");
        f.read_at(&mut buf[..n], within)
    }

    /// Read at most `buf.len()` bytes at offset `at` (fewer at a
    /// segment's end).
    ///
    /// # Errors
    ///
    /// When the segment holding `at` cannot be read.
    pub fn read_at(&mut self, buf: &mut [u8], at: u64) -> std::io::Result<usize> {
        self.read_part(at, buf)
    }

    /// Fill `buf` from offset `at`.
    ///
    /// # Errors
    ///
    /// When the bytes are not there.
    pub fn read_exact_at(&mut self, mut buf: &mut [u8], mut at: u64) -> std::io::Result<()> {
        while !buf.is_empty() {
            let n = self.read_part(at, buf)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            buf = &mut buf[n..];
            at += n as u64;
        }
        Ok(())
    }
}

impl Read for ChainFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.read_part(self.pos, buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for ChainFile {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let base = match to {
            SeekFrom::Start(n) => {
                self.pos = n;
                return Ok(n);
            }
            SeekFrom::End(_) => self.len() as i128,
            SeekFrom::Current(_) => self.pos as i128,
        };
        let delta = match to {
            SeekFrom::End(d) | SeekFrom::Current(d) => i128::from(d),
            SeekFrom::Start(_) => 0,
        };
        let at = u64::try_from(base + delta)
            .map_err(|_| std::io::Error::other("seek before the chain's start"))?;
        self.pos = at;
        Ok(at)
    }
}
