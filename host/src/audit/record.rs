//! One audit record: sequence, time, kind, data, and the chain fields —
//! the previous record's hash, this record's hash, and a keyed MAC.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::canonical::to_canonical;
use crate::keys::{hmac_sha256, sha256_hex};

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Longest free-text string kept in a record; the rest is cut and counted.
pub const MAX_TEXT: usize = 4096;

/// A record as stored (one JSON line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// When it was written, RFC 3339 UTC with milliseconds.
    pub time: String,
    /// What happened, e.g. `call.decided`.
    pub kind: String,
    /// The previous record's hash.
    pub prev: String,
    /// The details.
    pub data: Value,
    /// SHA-256 of the canonical form of the fields above.
    pub hash: String,
    /// HMAC-SHA256 of the hash under the host's audit key.
    pub mac: String,
}

impl Record {
    /// The hash the record should have.
    pub fn compute_hash(&self) -> String {
        record_hash(self.seq, &self.time, &self.kind, &self.prev, &self.data)
    }

    /// The MAC the record should have under `key`.
    pub fn compute_mac(&self, key: &[u8]) -> String {
        mac(key, &self.hash)
    }

    /// A string field of the data, if present.
    pub fn str(&self, field: &str) -> Option<&str> {
        self.data.get(field).and_then(Value::as_str)
    }
}

/// The hash of a record's content.
pub fn record_hash(seq: u64, time: &str, kind: &str, prev: &str, data: &Value) -> String {
    hash_parts(
        Head {
            seq,
            time,
            kind,
            prev,
        },
        &to_canonical(data),
    )
}

/// The fields of a record besides its data and chain values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Head<'a> {
    pub(crate) seq: u64,
    pub(crate) time: &'a str,
    pub(crate) kind: &'a str,
    pub(crate) prev: &'a str,
}

/// The hash of a record whose data is already in canonical form: the
/// canonical JSON of `{seq, time, kind, prev, data}`, keys sorted, written
/// without building the object.
pub(crate) fn hash_parts(h: Head<'_>, canonical_data: &[u8]) -> String {
    let mut b = Vec::with_capacity(canonical_data.len() + 160);
    b.extend_from_slice(b"{\"data\":");
    b.extend_from_slice(canonical_data);
    b.extend_from_slice(b",\"kind\":");
    write_json_str(h.kind, &mut b);
    b.extend_from_slice(b",\"prev\":");
    write_json_str(h.prev, &mut b);
    b.extend_from_slice(format!(",\"seq\":{},\"time\":", h.seq).as_bytes());
    write_json_str(h.time, &mut b);
    b.push(b'}');
    sha256_hex(&b)
}

/// One stored line (without the newline), reusing the canonical data.
pub(crate) fn encode_line(
    h: Head<'_>,
    canonical_data: &[u8],
    hash: &str,
    mac: &str,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(format!("{{\"seq\":{},\"time\":", h.seq).as_bytes());
    write_json_str(h.time, out);
    out.extend_from_slice(b",\"kind\":");
    write_json_str(h.kind, out);
    out.extend_from_slice(b",\"prev\":");
    write_json_str(h.prev, out);
    out.extend_from_slice(b",\"data\":");
    out.extend_from_slice(canonical_data);
    out.extend_from_slice(b",\"hash\":");
    write_json_str(hash, out);
    out.extend_from_slice(b",\"mac\":");
    write_json_str(mac, out);
    out.push(b'}');
}

fn write_json_str(s: &str, out: &mut Vec<u8>) {
    // Serialising a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// The MAC of a record hash.
pub fn mac(key: &[u8], hash: &str) -> String {
    let mut msg = b"warrant/v1 audit-record\n".to_vec();
    msg.extend_from_slice(hash.as_bytes());
    hex::encode(hmac_sha256(key, &msg))
}

/// Cap a string from an agent or plugin: at most [`MAX_TEXT`] bytes, with
/// the cut counted. JSON encoding escapes control characters, so no string
/// can split or forge a record.
pub fn cap(s: &str) -> String {
    cap_at(s, MAX_TEXT)
}

/// Cap a string at `max` bytes (on a character boundary).
pub fn cap_at(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…[cut {} bytes]", &s[..end], s.len() - end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fast_paths_match_the_definition() {
        let data = json!({"b": [1, "x\ny"], "a": {"z": null}});
        let canon = to_canonical(&data);
        let body = json!({"seq": 7, "time": "2026-11-28T08:00:00.000Z", "kind": "call.decided", "prev": GENESIS, "data": data});
        assert_eq!(
            hash_parts(
                Head {
                    seq: 7,
                    time: "2026-11-28T08:00:00.000Z",
                    kind: "call.decided",
                    prev: GENESIS,
                },
                &canon
            ),
            sha256_hex(&to_canonical(&body))
        );
        let mut line = Vec::new();
        encode_line(
            Head {
                seq: 7,
                time: "t",
                kind: "k",
                prev: GENESIS,
            },
            &canon,
            "h",
            "m",
            &mut line,
        );
        let r: Record = serde_json::from_slice(&line).unwrap();
        assert_eq!((r.seq, r.data, r.hash.as_str()), (7, data, "h"));
    }

    #[test]
    fn control_characters_cannot_split_a_line() {
        let data = json!({"prompt": "ok\n{\"seq\":99}\r\u{1b}[31mred"});
        let line = serde_json::to_string(&data).unwrap();
        assert!(!line.contains('\n') && !line.contains('\r') && !line.contains('\u{1b}'));
    }

    #[test]
    fn caps() {
        assert_eq!(cap_at("héllo", 2), "h…[cut 5 bytes]");
        assert_eq!(cap("short"), "short");
    }
}
