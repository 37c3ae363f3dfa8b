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

/// The release a record's data names at its top level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named<'a> {
    None,
    Digest(&'a str),
    /// A `release` whose digest is not a plain string.
    Unreadable,
}

/// A line read on the fast path: its hash held.
#[derive(Debug)]
pub(crate) struct Fast<'a> {
    line: &'a str,
    v: Option<u32>,
    seq: u64,
    kind: &'a str,
    prev: &'a str,
    hash: &'a str,
    mac: &'a str,
    call_id: Option<Cow<'a, str>>,
    release: Named<'a>,
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
            Self::Fast(f) => f.seq,
            Self::Slow(r, _) => r.seq,
        }
    }
    pub(crate) fn v(&self) -> Option<u32> {
        match self {
            Self::Fast(f) => f.v,
            Self::Slow(r, _) => r.v,
        }
    }
    pub(crate) fn kind(&self) -> &str {
        match self {
            Self::Fast(f) => f.kind,
            Self::Slow(r, _) => &r.kind,
        }
    }
    pub(crate) fn prev(&self) -> &str {
        match self {
            Self::Fast(f) => f.prev,
            Self::Slow(r, _) => &r.prev,
        }
    }
    pub(crate) fn hash(&self) -> &str {
        match self {
            Self::Fast(f) => f.hash,
            Self::Slow(r, _) => &r.hash,
        }
    }
    pub(crate) fn mac(&self) -> &str {
        match self {
            Self::Fast(f) => f.mac,
            Self::Slow(r, _) => &r.mac,
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
            Self::Fast(f) => f.call_id.as_deref(),
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
        let v = f.v.unwrap_or(1);
        is_operator_kind(f.kind)
            || (v >= 7
                && (f.kind == "config.applied"
                    || match f.release {
                        Named::None => false,
                        Named::Digest(d) => Some(d) != current,
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
            && let Some(f) = self.fast_path(line)
        {
            return Ok(Parsed::Fast(f));
        }
        let r: Record = serde_json::from_str(line).map_err(|e| ChainFault::Unreadable {
            line: line_no,
            why: e.to_string(),
        })?;
        let ok = r.compute_hash() == r.hash;
        Ok(Parsed::Slow(Box::new(r), ok))
    }

    /// Whether `mac` is the MAC of `hash` under `key` (the reader's key).
    pub(crate) fn mac_holds(&self, key: &[u8], hash: &str, mac: &str) -> bool {
        if self.fast
            && let Some(keyed) = &self.mac
        {
            let mut m = keyed.clone();
            m.update(b"warrant/v1 audit-record\n");
            m.update(hash.as_bytes());
            if hex_eq(&m.finalize().into_bytes(), mac) {
                return true;
            }
        }
        // The definition decides every MAC the fast check did not pass.
        crate::audit::record::mac(key, hash) == mac
    }

    fn fast_path<'a>(&mut self, line: &'a str) -> Option<Fast<'a>> {
        let s: Stored<'a> = serde_json::from_str(line).ok()?;
        let data = s.data.get();
        self.scratch.read(data)?;
        if !self.scratch.hash_holds(&s)? {
            return None;
        }
        let call_id = self.scratch.get(data, "call_id").and_then(|c| {
            serde_json::from_str::<&'a str>(c)
                .map(Cow::Borrowed)
                .or_else(|_| serde_json::from_str::<String>(c).map(Cow::Owned))
                .ok()
        });
        let release = match self.scratch.get(data, "release") {
            None => Named::None,
            Some(r) => match serde_json::from_str::<ReleaseDigest<'a>>(r) {
                Ok(d) => Named::Digest(d.digest),
                Err(_) => Named::Unreadable,
            },
        };
        Some(Fast {
            line,
            v: s.v,
            seq: s.seq,
            kind: s.kind,
            prev: s.prev,
            hash: s.hash,
            mac: s.mac,
            call_id,
            release,
        })
    }
}
