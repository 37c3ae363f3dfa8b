//! One audit record: sequence, time, kind, data, and the chain fields —
//! the previous record's hash, this record's hash, and a keyed MAC.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

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
    let body = json!({"seq": seq, "time": time, "kind": kind, "prev": prev, "data": data});
    sha256_hex(&to_canonical(&body))
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
