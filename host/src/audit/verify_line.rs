//! One line of the chain as `audit verify` reads it.
//!
//! The fast path parses a record's fixed fields borrowing from its line,
//! its `data` only down to the top-level entries (each kept as its raw
//! JSON text), and hashes the stored `data` bytes as they are — with, from
//! format 8, each redactable field committed by the digest of its stored
//! bytes. When those bytes reproduce the recorded hash they are exactly
//! what was hashed. When they do not — a record that is not canonical, an
//! older writer's, or an edited one — the line is judged by the definition
//! instead ([`Record`], [`Record::compute_hash`]), so every fault is the
//! one the definition finds. A typed record is built only for the records
//! whose checks read it (operator records, releases, a release not in
//! force).

use std::borrow::Cow;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::audit::fault::ChainFault;
use crate::audit::record::Record;
use crate::audit::signatures::is_operator_kind;
use crate::audit::verify_hash::{ReleaseDigest, Scratch, Stored, hex_eq};

/// The bytes `start..end` of a line.
type Span = (usize, usize);

/// The release a record's data names at its top level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    None,
    Digest(Span),
    /// A `release` whose digest is not a plain string.
    Unreadable,
}

/// Where a line read on the fast path has its fields, and what was found
/// of it: its hash held on its stored bytes, and whether its MAC held
/// under the reader's key. Positions, not borrowed text, so that a line
/// can be read on one thread and walked on another (`audit verify` on
/// every core).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    v: Option<u32>,
    seq: u64,
    kind: Span,
    prev: Span,
    hash: Span,
    mac: Span,
    call_id: Option<Span>,
    release: Named,
    /// The MAC held under the reader's key (false without one, or when
    /// only the definition can tell).
    mac_held: bool,
}

/// A line read on the fast path: its hash held.
#[derive(Debug)]
pub(crate) struct Fast<'a> {
    line: &'a str,
    f: Fields,
}

impl<'a> Fast<'a> {
    /// The line `line` (without its newline) whose fields are `f`, as
    /// [`LineReader::fields`] found them.
    pub(crate) fn new(line: &'a str, f: Fields) -> Self {
        Self { line, f }
    }
    fn at(&self, (start, end): Span) -> &'a str {
        &self.line[start..end]
    }
}

/// A line as read: on the fast path, or by the definition.
#[derive(Debug)]
pub(crate) enum Parsed<'a> {
    Fast(Fast<'a>),
    /// The definition: the record with its data as a value, and whether
    /// its hash holds.
    Slow(Box<Record>, bool),
}

impl Parsed<'_> {
    pub(crate) fn seq(&self) -> u64 {
        match self {
            Self::Fast(f) => f.f.seq,
            Self::Slow(r, _) => r.seq,
        }
    }
    pub(crate) fn v(&self) -> Option<u32> {
        match self {
            Self::Fast(f) => f.f.v,
            Self::Slow(r, _) => r.v,
        }
    }
    pub(crate) fn kind(&self) -> &str {
        match self {
            Self::Fast(f) => f.at(f.f.kind),
            Self::Slow(r, _) => &r.kind,
        }
    }
    pub(crate) fn prev(&self) -> &str {
        match self {
            Self::Fast(f) => f.at(f.f.prev),
            Self::Slow(r, _) => &r.prev,
        }
    }
    pub(crate) fn hash(&self) -> &str {
        match self {
            Self::Fast(f) => f.at(f.f.hash),
            Self::Slow(r, _) => &r.hash,
        }
    }
    pub(crate) fn mac(&self) -> &str {
        match self {
            Self::Fast(f) => f.at(f.f.mac),
            Self::Slow(r, _) => &r.mac,
        }
    }
    /// Whether the MAC was found to hold where the line was read (if not,
    /// [`LineReader::mac_holds`] decides).
    fn mac_held(&self) -> bool {
        match self {
            Self::Fast(f) => f.f.mac_held,
            Self::Slow(..) => false,
        }
    }
    pub(crate) fn hash_holds(&self) -> bool {
        match self {
            Self::Fast(_) => true,
            Self::Slow(_, ok) => *ok,
        }
    }
    /// The `call_id` string of the data.
    pub(crate) fn call_id(&self) -> Option<&str> {
        match self {
            Self::Fast(f) => f.f.call_id.map(|c| f.at(c)),
            Self::Slow(r, _) => r.data.get("call_id").and_then(|c| c.as_str()),
        }
    }
    /// Whether the rules' checks (a release applied, a release in force,
    /// an operator's signature) may find anything in this record, when the
    /// release in force is `current`: if not, they would pass it as not an
    /// operator's record.
    pub(crate) fn needs_rules(&self, current: Option<&str>) -> bool {
        let Self::Fast(f) = self else {
            return true;
        };
        let v = f.f.v.unwrap_or(1);
        let kind = f.at(f.f.kind);
        is_operator_kind(kind)
            || (v >= 7
                && (kind == "config.applied"
                    || match f.f.release {
                        Named::None => false,
                        Named::Digest(d) => Some(f.at(d)) != current,
                        Named::Unreadable => true,
                    }))
    }
    /// The record by the definition (parsed again on the fast path).
    pub(crate) fn record(&self, line_no: u64) -> Result<Cow<'_, Record>, ChainFault> {
        match self {
            Self::Slow(r, _) => Ok(Cow::Borrowed(r)),
            Self::Fast(f) => {
                serde_json::from_str(f.line)
                    .map(Cow::Owned)
                    .map_err(|e| ChainFault::Unreadable {
                        line: line_no,
                        why: e.to_string(),
                    })
            }
        }
    }
}

/// Reads lines, reusing its buffers.
pub(crate) struct LineReader {
    fast: bool,
    mac: Option<Hmac<Sha256>>,
    scratch: Scratch,
}

impl LineReader {
    /// A reader that tries the fast path when `fast`, checking MACs under
    /// `mac_key`.
    pub(crate) fn new(fast: bool, mac_key: Option<&[u8]>) -> Self {
        Self {
            fast,
            mac: mac_key.and_then(|k| <Hmac<Sha256> as KeyInit>::new_from_slice(k).ok()),
            scratch: Scratch::default(),
        }
    }

    /// Read one line (without its newline).
    pub(crate) fn read<'a>(
        &mut self,
        line: &'a str,
        line_no: u64,
    ) -> Result<Parsed<'a>, ChainFault> {
        if self.fast
            && let Some(f) = self.fields(line)
        {
            return Ok(Parsed::Fast(Fast::new(line, f)));
        }
        let r: Record = serde_json::from_str(line).map_err(|e| ChainFault::Unreadable {
            line: line_no,
            why: e.to_string(),
        })?;
        let ok = r.compute_hash() == r.hash;
        Ok(Parsed::Slow(Box::new(r), ok))
    }

    /// Whether the MAC of `r` holds under `key` (the reader's key): as
    /// found where the line was read, else checked now.
    pub(crate) fn mac_holds(&self, key: &[u8], r: &Parsed<'_>) -> bool {
        let (hash, mac) = (r.hash(), r.mac());
        if r.mac_held() || self.fast_mac(hash, mac) {
            return true;
        }
        // The definition decides every MAC the fast check did not pass.
        crate::audit::record::mac(key, hash) == mac
    }

    /// The fast check of a MAC under the reader's key.
    fn fast_mac(&self, hash: &str, mac: &str) -> bool {
        let Some(keyed) = self.mac.as_ref().filter(|_| self.fast) else {
            return false;
        };
        let mut m = keyed.clone();
        m.update(b"warrant/v1 audit-record\n");
        m.update(hash.as_bytes());
        hex_eq(&m.finalize().into_bytes(), mac)
    }

    /// The fast path: the fields of `line` (without its newline) when its
    /// stored bytes reproduce its hash; `None` when only the definition can
    /// judge it.
    pub(crate) fn fields(&mut self, line: &str) -> Option<Fields> {
        let base = line.as_ptr() as usize;
        let span = |s: &str| {
            let start = (s.as_ptr() as usize).wrapping_sub(base);
            (start, start + s.len())
        };
        let s: Stored<'_> = serde_json::from_str(line).ok()?;
        let data = s.data.get();
        self.scratch.read(data)?;
        if !self.scratch.hash_holds(&s)? {
            return None;
        }
        let call_id = match self.scratch.get(data, "call_id") {
            Some(c) if c.starts_with('"') => {
                // A call id with an escape is left to the definition.
                Some(span(serde_json::from_str::<&str>(c).ok()?))
            }
            _ => None,
        };
        let release = match self.scratch.get(data, "release") {
            None => Named::None,
            Some(r) => match serde_json::from_str::<ReleaseDigest<'_>>(r) {
                Ok(d) => Named::Digest(span(d.digest)),
                Err(_) => Named::Unreadable,
            },
        };
        Some(Fields {
            v: s.v,
            seq: s.seq,
            kind: span(s.kind),
            prev: span(s.prev),
            hash: span(s.hash),
            mac: span(s.mac),
            call_id,
            release,
            mac_held: self.fast_mac(s.hash, s.mac),
        })
    }
}
