//! The chain as a Merkle tree (RFC 6962 / RFC 9162 hashing): leaf `i` is
//! record `i + 1`, its data the record's 32-byte hash. Two forms:
//!
//! - [`Frontier`]: the tree's right edge, kept while streaming a chain
//!   (`audit verify`, evidence export) — the root at any size without any
//!   file, trusting nothing stored.
//! - [`TreeFile`]: `tree.bin` beside the chain, the stored hashes of Go's
//!   `sumdb/tlog` layout (via `tlog_tiles`), from which roots, inclusion
//!   proofs and consistency proofs come in O(log n) reads. It is derived
//!   from the chain and caught up from it (off the call path, at
//!   checkpoints); `tree.json` says how far, so a chain that was replaced
//!   under it is noticed and the tree rebuilt.

use std::fs::File;
use std::io::{BufRead as _, BufReader, Seek as _, SeekFrom};
use std::os::unix::fs::FileExt as _;

use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt as _};

use crate::audit::ChainFile;
use serde::{Deserialize, Serialize};
use tlog_tiles::{Hash, HashReader, node_hash, record_hash};

/// The leaf data of a record: its hash, decoded from hex.
///
/// # Errors
///
/// When the hash is not 64 hex digits.
pub fn leaf(record_hash_hex: &str) -> Result<[u8; 32], String> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(record_hash_hex, &mut out)
        .map_err(|_| format!("{record_hash_hex:?} is not a record hash"))?;
    Ok(out)
}

/// The right edge of a tree being built leaf by leaf.
#[derive(Debug, Clone, Default)]
pub struct Frontier {
    /// Perfect subtrees, largest first: (height, hash).
    stack: Vec<(u32, Hash)>,
    size: u64,
}

impl Frontier {
    /// Add the next leaf (the record's hash bytes).
    pub fn push(&mut self, data: &[u8]) {
        let mut h = (0u32, record_hash(data));
        while let Some(&(height, left)) = self.stack.last() {
            if height != h.0 {
                break;
            }
            self.stack.pop();
            h = (height + 1, node_hash(left, h.1));
        }
        self.stack.push(h);
        self.size += 1;
    }

    /// Leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The perfect subtrees of the right edge, largest first, as hex: with
    /// [`Frontier::size`], all a verifier needs to go on adding leaves.
    pub fn subtrees(&self) -> Vec<String> {
        self.stack.iter().map(|(_, h)| hex::encode(h.0)).collect()
    }

    /// The frontier of a tree of `size` leaves whose right edge is
    /// `subtrees` (as [`Frontier::subtrees`] gives it).
    ///
    /// # Errors
    ///
    /// When the hashes are not one per perfect subtree of a tree of that
    /// size (one per bit set in `size`), or not hex hashes.
    pub fn resume(size: u64, subtrees: &[String]) -> Result<Self, String> {
        if subtrees.len() != size.count_ones() as usize {
            return Err(format!(
                "{} subtree hashes for a tree of {size} leaves, which has {}",
                subtrees.len(),
                size.count_ones()
            ));
        }
        let heights = (0..64u32).rev().filter(|b| size & (1u64 << b) != 0);
        let stack = heights
            .zip(subtrees)
            .map(|(height, h)| leaf(h).map(|bytes| (height, Hash(bytes))))
            .collect::<Result<_, _>>()?;
        Ok(Self { stack, size })
    }

    /// The root of the tree of the leaves so far.
    pub fn root(&self) -> Hash {
        let mut it = self.stack.iter().rev();
        let Some(&(_, mut h)) = it.next() else {
            return tlog_tiles::EMPTY_HASH;
        };
        for &(_, left) in it {
            h = node_hash(left, h);
        }
        h
    }
}

/// How far `tree.bin` has caught up with the chain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct TreeState {
    /// Leaves (records) in the tree.
    leaves: u64,
    /// The chain's byte offset after the last of them.
    offset: u64,
    /// The hash of the last of them (empty: none).
    head: String,
}

/// `tree.bin` and `tree.json` in the audit directory.
#[derive(Debug)]
pub struct TreeFile {
    dir: Dir,
    file: File,
    state: TreeState,
}

impl TreeFile {
    /// Open (creating) the tree beside the chain in `dir`.
    ///
    /// # Errors
    ///
    /// I/O errors, as sentences.
    pub fn open(dir: &Dir) -> Result<Self, String> {
        let mut o = OpenOptions::new();
        o.read(true).write(true).create(true).mode(0o600);
        let file = dir
            .open_with("tree.bin", &o)
            .map_err(|e| format!("tree.bin: {e}"))?
            .into_std();
        let state = dir
            .read_to_string("tree.json")
            .ok()
            .and_then(|t| serde_json::from_str::<TreeState>(&t).ok())
            .unwrap_or_default();
        let mut t = Self {
            dir: dir.try_clone().map_err(|e| e.to_string())?,
            file,
            state,
        };
        let want = tlog_tiles::stored_hash_count(t.state.leaves) * 32;
        let have = t.file.metadata().map_err(|e| e.to_string())?.len();
        if have < want {
            t.reset()?;
        } else if have > want {
            // Hashes written past the state a crash left behind.
            t.file.set_len(want).map_err(|e| e.to_string())?;
        }
        Ok(t)
    }

    /// Open the tree for reading only, as far as `tree.json` says it is
    /// written (another thread or process may be catching it up).
    ///
    /// # Errors
    ///
    /// When there is no tree.
    pub fn open_read(dir: &Dir) -> Result<Self, String> {
        let file = dir
            .open("tree.bin")
            .map_err(|e| format!("tree.bin: {e}"))?
            .into_std();
        let state = dir
            .read_to_string("tree.json")
            .ok()
            .and_then(|t| serde_json::from_str::<TreeState>(&t).ok())
            .unwrap_or_default();
        Ok(Self {
            dir: dir.try_clone().map_err(|e| e.to_string())?,
            file,
            state,
        })
    }

    /// Leaves in the tree.
    pub fn size(&self) -> u64 {
        self.state.leaves
    }

    fn reset(&mut self) -> Result<(), String> {
        self.file.set_len(0).map_err(|e| e.to_string())?;
        self.state = TreeState::default();
        Ok(())
    }

    /// Add the records the chain `log` holds beyond the tree; rebuild from
    /// the start when the chain is not the one the tree was built from.
    ///
    /// # Errors
    ///
    /// I/O errors and unreadable records, as sentences.
    pub fn catch_up(&mut self, log: &mut ChainFile) -> Result<(), String> {
        let len = log.len();
        if len < self.state.offset || !self.head_matches(log)? {
            self.reset()?;
        }
        if len == self.state.offset {
            return Ok(());
        }
        let mut r = BufReader::new(log);
        r.seek(SeekFrom::Start(self.state.offset))
            .map_err(|e| e.to_string())?;
        let mut hashes: Vec<Hash> = Vec::new();
        let base = tlog_tiles::stored_hash_count(self.state.leaves);
        let (mut line, mut offset) = (String::new(), self.state.offset);
        loop {
            line.clear();
            let n = r.read_line(&mut line).map_err(|e| e.to_string())?;
            if n == 0 || !line.ends_with('\n') {
                break;
            }
            #[derive(Deserialize)]
            struct Ends {
                seq: u64,
                hash: String,
            }
            let e: Ends = serde_json::from_str(&line)
                .map_err(|e| format!("the chain at byte {offset}: {e}"))?;
            if e.seq != self.state.leaves + 1 {
                return Err(format!(
                    "the chain at byte {offset} holds record {} where record {} belongs",
                    e.seq,
                    self.state.leaves + 1
                ));
            }
            let pending = Pending {
                file: &self.file,
                pending: &hashes,
                base,
            };
            let stored = tlog_tiles::stored_hashes(self.state.leaves, &leaf(&e.hash)?, &pending)
                .map_err(|e| e.to_string())?;
            hashes.extend(stored);
            offset += n as u64;
            self.state.leaves += 1;
            self.state.offset = offset;
            self.state.head = e.hash;
        }
        let mut bytes = Vec::new();
        for h in &hashes {
            bytes.extend_from_slice(&h.0);
        }
        let at = self.file.metadata().map_err(|e| e.to_string())?.len();
        self.file
            .write_all_at(&bytes, at)
            .map_err(|e| format!("tree.bin: {e}"))?;
        let text = serde_json::to_vec(&self.state).map_err(|e| e.to_string())?;
        self.dir
            .write("tree.json.tmp", &text)
            .and_then(|()| self.dir.rename("tree.json.tmp", &self.dir, "tree.json"))
            .map_err(|e| format!("tree.json: {e}"))
    }

    /// Whether the record ending at the state's offset is still the one
    /// the tree ends with.
    fn head_matches(&self, log: &mut ChainFile) -> Result<bool, String> {
        if self.state.leaves == 0 {
            return Ok(true);
        }
        let start = self.state.offset.saturating_sub(64 * 1024);
        let mut buf = vec![0u8; usize::try_from(self.state.offset - start).unwrap_or(0)];
        if log.read_exact_at(&mut buf, start).is_err() {
            return Ok(false);
        }
        let body = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let last = body.rsplit(|b| *b == b'\n').next().unwrap_or_default();
        Ok(serde_json::from_slice::<serde_json::Value>(last)
            .ok()
            .and_then(|v| v.get("hash").and_then(|h| h.as_str()).map(str::to_owned))
            .is_some_and(|h| h == self.state.head))
    }

    /// The root of the tree of the first `n` records.
    ///
    /// # Errors
    ///
    /// When `n` is beyond the tree or `tree.bin` cannot be read.
    pub fn root(&self, n: u64) -> Result<Hash, String> {
        self.within(n)?;
        tlog_tiles::tree_hash(n, self).map_err(|e| e.to_string())
    }

    /// The inclusion proof of record `seq` in the tree of size `n`.
    ///
    /// # Errors
    ///
    /// When either is beyond the tree.
    pub fn inclusion(&self, n: u64, seq: u64) -> Result<Vec<Hash>, String> {
        self.within(n)?;
        if seq == 0 || seq > n {
            return Err(format!("record {seq} is not in a tree of {n}"));
        }
        tlog_tiles::prove_record(n, seq - 1, self).map_err(|e| e.to_string())
    }

    /// The consistency proof from the tree of size `old` to size `n`.
    ///
    /// # Errors
    ///
    /// When either is beyond the tree.
    pub fn consistency(&self, n: u64, old: u64) -> Result<Vec<Hash>, String> {
        self.within(n)?;
        if old == 0 || old == n {
            return Ok(Vec::new());
        }
        tlog_tiles::prove_tree(n, old, self).map_err(|e| e.to_string())
    }

    fn within(&self, n: u64) -> Result<(), String> {
        if n > self.state.leaves {
            return Err(format!(
                "the tree holds {} records, not {n}",
                self.state.leaves
            ));
        }
        Ok(())
    }
}

impl HashReader for TreeFile {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|i| {
                let mut h = [0u8; 32];
                self.file
                    .read_exact_at(&mut h, i * 32)
                    .map_err(|_| tlog_tiles::Error::IndexesNotInTree)?;
                Ok(Hash(h))
            })
            .collect()
    }
}

/// Stored hashes not yet written, after those in the file.
struct Pending<'a> {
    file: &'a File,
    pending: &'a [Hash],
    /// The stored index of the first pending hash.
    base: u64,
}

impl HashReader for Pending<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                if i >= self.base {
                    let k =
                        usize::try_from(i - self.base).map_err(|_| tlog_tiles::Error::BadMath)?;
                    return self
                        .pending
                        .get(k)
                        .copied()
                        .ok_or(tlog_tiles::Error::IndexesNotInTree);
                }
                let mut h = [0u8; 32];
                self.file
                    .read_exact_at(&mut h, i * 32)
                    .map_err(|_| tlog_tiles::Error::IndexesNotInTree)?;
                Ok(Hash(h))
            })
            .collect()
    }
}
