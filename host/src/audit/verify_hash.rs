//! The fast path's hash of a stored record: its `data` bytes as stored,
//! read down to the top-level entries only, and hashed as they are — with,
//! from format 8, each redactable field committed by the digest of its
//! stored bytes (the definition is [`Record::compute_hash`]). When the
//! stored bytes are canonical, as a writer stores them, this is the
//! definition's pre-image byte for byte.
//!
//! [`Record::compute_hash`]: crate::audit::Record::compute_hash

use std::io::Write as _;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::audit::record::{COMMITTED_FROM, REDACTABLE};

/// A record as stored, borrowing from its line (the fields of [`Record`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Stored<'a> {
    #[serde(default)]
    pub(crate) v: Option<u32>,
    pub(crate) seq: u64,
    pub(crate) time: &'a str,
    #[serde(default, borrow)]
    pub(crate) host: Option<&'a str>,
    pub(crate) kind: &'a str,
    pub(crate) prev: &'a str,
    #[serde(borrow)]
    pub(crate) data: &'a RawValue,
    pub(crate) hash: &'a str,
    pub(crate) mac: &'a str,
}

/// One top-level entry of a record's data: the byte ranges of its key
/// (unescaped: a key with an escape is not read on the fast path) and of
/// its value's JSON text, in the data's text.
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: (usize, usize),
    value: (usize, usize),
}

/// The buffers of the fast path, reused from record to record.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    image: Vec<u8>,
    entries: Vec<Entry>,
    withheld: Vec<Entry>,
}

impl Scratch {
    /// Read the top-level entries of `data` (an object whose keys are
    /// unescaped and strictly ascend, as in canonical form); `None` for
    /// any other shape.
    pub(crate) fn read(&mut self, data: &str) -> Option<()> {
        self.entries.clear();
        let mut de = serde_json::Deserializer::from_str(data);
        Entries {
            base: data.as_ptr() as usize,
            out: &mut self.entries,
        }
        .deserialize(&mut de)
        .ok()?;
        de.end().ok()
    }

    /// The raw value of key `k` in `data` (just [`Scratch::read`]).
    pub(crate) fn get<'a>(&self, data: &'a str, k: &str) -> Option<&'a str> {
        find(data, &self.entries, k)
    }

    /// Whether the stored bytes of `s` (entries just read) reproduce its
    /// hash; `None` for a shape only the definition decides.
    pub(crate) fn hash_holds(&mut self, s: &Stored<'_>) -> Option<bool> {
        let data = s.data.get();
        let committed = s.v.unwrap_or(1) >= COMMITTED_FROM
            && (self.get(data, "redacted").is_some()
                || REDACTABLE.iter().any(|(f, _)| self.get(data, f).is_some()));
        self.image.clear();
        self.image.extend_from_slice(b"{\"data\":");
        if committed {
            self.committed(data)?;
        } else {
            self.image.extend_from_slice(data.as_bytes());
        }
        write_head_tail(s, &mut self.image);
        Some(hex_eq(&Sha256::digest(&self.image), s.hash))
    }

    /// Append the data as hashed from format 8 (see
    /// [`crate::audit::committed`]), built from its stored entries: the
    /// fields withheld under `redacted` put back as their digests, each
    /// redactable field present replaced by the digest of its stored
    /// bytes. `None` for a shape the definition alone decides.
    fn committed(&mut self, data: &str) -> Option<()> {
        let text = |r: (usize, usize)| text(data, r);
        self.withheld.clear();
        if let Some(w) = self.entries.iter().find(|e| text(e.key) == "redacted") {
            let raw = text(w.value);
            if raw.starts_with('{') {
                let mut de = serde_json::Deserializer::from_str(raw);
                Entries {
                    base: data.as_ptr() as usize,
                    out: &mut self.withheld,
                }
                .deserialize(&mut de)
                .ok()?;
                if self.withheld.iter().any(|e| text(e.key) == "redacted") {
                    return None;
                }
            }
        }
        self.image.push(b'{');
        let (mut i, mut j, mut first) = (0, 0, true);
        loop {
            let a = self.entries.get(i).copied();
            let b = self.withheld.get(j).copied();
            let (e, present) = match (a, b) {
                (None, None) => break,
                (Some(a), Some(b)) if text(b.key) < text(a.key) => {
                    j += 1;
                    (b, false)
                }
                (Some(a), Some(b)) => {
                    if text(b.key) == text(a.key) {
                        j += 1;
                    }
                    i += 1;
                    (a, true)
                }
                (Some(a), None) => {
                    i += 1;
                    (a, true)
                }
                (None, Some(b)) => {
                    j += 1;
                    (b, false)
                }
            };
            let key = text(e.key);
            if present && key == "redacted" {
                continue;
            }
            if !first {
                self.image.push(b',');
            }
            first = false;
            let _ = serde_json::to_writer(&mut self.image, key);
            self.image.push(b':');
            let value = text(e.value);
            if present && REDACTABLE.iter().any(|(f, _)| *f == key) {
                let mut hex = [0u8; 64];
                let _ = hex::encode_to_slice(Sha256::digest(value.as_bytes()), &mut hex);
                self.image.extend_from_slice(b"\"sha256:");
                self.image.extend_from_slice(&hex);
                self.image.push(b'"');
            } else {
                self.image.extend_from_slice(value.as_bytes());
            }
        }
        self.image.push(b'}');
        Some(())
    }
}

/// The text of `range` in `data`.
fn text(data: &str, range: (usize, usize)) -> &str {
    &data[range.0..range.1]
}

/// The value of key `k` among `entries` of `data`.
fn find<'a>(data: &'a str, entries: &[Entry], k: &str) -> Option<&'a str> {
    entries
        .iter()
        .find(|e| text(data, e.key) == k)
        .map(|e| text(data, e.value))
}

/// The digest of a release reference.
#[derive(Deserialize)]
pub(crate) struct ReleaseDigest<'a> {
    pub(crate) digest: &'a str,
}

/// The rest of the record's hashed form after its data, as
/// `record::hash_parts` writes it.
fn write_head_tail(s: &Stored<'_>, b: &mut Vec<u8>) {
    if let Some(host) = s.host {
        b.extend_from_slice(b",\"host\":");
        let _ = serde_json::to_writer(&mut *b, host);
    }
    b.extend_from_slice(b",\"kind\":");
    let _ = serde_json::to_writer(&mut *b, s.kind);
    b.extend_from_slice(b",\"prev\":");
    let _ = serde_json::to_writer(&mut *b, s.prev);
    let _ = write!(b, ",\"seq\":{},\"time\":", s.seq);
    let _ = serde_json::to_writer(&mut *b, s.time);
    if let Some(v) = s.v {
        let _ = write!(b, ",\"v\":{v}");
    }
    b.push(b'}');
}

/// Whether `hex` is the lower-case hex of `bytes`.
pub(crate) fn hex_eq(bytes: &[u8], hex: &str) -> bool {
    let mut buf = [0u8; 64];
    bytes.len() == 32
        && hex::encode_to_slice(bytes, &mut buf).is_ok()
        && buf.as_slice() == hex.as_bytes()
}

/// Reads a JSON object's entries into `out`, as byte ranges from `base`;
/// fails unless every key is unescaped and the keys strictly ascend (as
/// in canonical form: no key twice).
struct Entries<'o> {
    base: usize,
    out: &'o mut Vec<Entry>,
}

impl<'de> DeserializeSeed<'de> for Entries<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Entries<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut last: Option<&'de str> = None;
        while let Some(k) = map.next_key::<&'de str>()? {
            if last.is_some_and(|l| l >= k) {
                return Err(serde::de::Error::custom("keys not in canonical order"));
            }
            last = Some(k);
            let v: &'de RawValue = map.next_value()?;
            let span = |s: &str| {
                let start = (s.as_ptr() as usize).wrapping_sub(self.base);
                (start, start + s.len())
            };
            self.out.push(Entry {
                key: span(k),
                value: span(v.get()),
            });
        }
        Ok(())
    }
}
