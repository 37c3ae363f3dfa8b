//! Sealing records whose data is already canonical JSON, many at a time —
//! for a tool that makes a chain of known shape (the benchmark's synthetic
//! chain) — with the writer's own line layout, hash and MAC.

use crate::audit::event::FORMAT_VERSION;
use crate::audit::record::{Head, encode_line, hash_parts, mac};

/// The fields of a record to seal, besides its data.
#[derive(Debug, Clone, Copy)]
pub struct Sealing<'a> {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// RFC 3339 UTC with milliseconds.
    pub time: &'a str,
    /// The host that writes it.
    pub host: Option<&'a str>,
    /// The record kind.
    pub kind: &'a str,
    /// The previous record's hash.
    pub prev: &'a str,
}

/// Seal a record of the current format ([`FORMAT_VERSION`]) whose data is
/// `data`, in canonical form, and whose hash commits to `hashed`: the
/// canonical form of [`committed`](crate::audit::committed) of the data
/// when it holds redactable fields, else `data` itself. Appends its stored
/// line (without the newline) to `out` and returns its hash.
pub fn seal_line(
    s: Sealing<'_>,
    data: &[u8],
    hashed: &[u8],
    mac_key: &[u8],
    out: &mut Vec<u8>,
) -> String {
    let head = Head {
        v: Some(FORMAT_VERSION),
        seq: s.seq,
        time: s.time,
        host: s.host,
        kind: s.kind,
        prev: s.prev,
    };
    let hash = hash_parts(head, hashed);
    encode_line(head, data, &hash, &mac(mac_key, &hash), out);
    hash
}
