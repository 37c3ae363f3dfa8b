//! One audit record: format version, sequence, time, host, kind, data, and
//! the chain fields — the previous record's hash, this record's hash, and a
//! keyed MAC. The rules are in `host/docs/audit-format.md`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::audit::event::Event;
use crate::keys::{hmac_sha256, sha256_hex};
use crate::vocab::to_canonical;

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A record as stored (one JSON line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The record format version; absent in version-1 records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v: Option<u32>,
    /// Position in the chain, from 1.
    pub seq: u64,
    /// When it was written, RFC 3339 UTC with milliseconds.
    pub time: String,
    /// The host that wrote it (from version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// What happened, e.g. `call.decided`.
    pub kind: String,
    /// The previous record's hash.
    pub prev: String,
    /// The details.
    pub data: Value,
    /// SHA-256 of the canonical form of every field above.
    pub hash: String,
    /// HMAC-SHA256 of the hash under the host's audit key.
    pub mac: String,
}

/// The fields a record commits to by digest from format 8 — so that they
/// can be withheld from an export (redacted) and the record still
/// verifies — with the category `evidence export --redact` names them by.
pub const REDACTABLE: &[(&str, &str)] = &[
    ("args", "arguments"),
    ("prompt", "prompts"),
    ("context", "prompts"),
];

/// The first format whose hash commits to the redactable fields by digest.
pub const COMMITTED_FROM: u32 = 8;

/// The digest a redactable value is committed to: `sha256:` and the hex
/// SHA-256 of its canonical JSON.
pub fn value_digest(v: &Value) -> String {
    format!("sha256:{}", sha256_hex(&to_canonical(v)))
}

/// The data as hashed from format 8: each redactable field present
/// replaced by its [`value_digest`]; each field withheld (listed under
/// `redacted`, field → digest) put back as that digest; `redacted` itself
/// left out. `None` when the data holds neither (it is hashed as it is).
pub fn committed(data: &Value) -> Option<Value> {
    let m = data.as_object()?;
    if !m.contains_key("redacted") && !REDACTABLE.iter().any(|(f, _)| m.contains_key(*f)) {
        return None;
    }
    let mut out = m.clone();
    if let Some(Value::Object(withheld)) = out.remove("redacted") {
        for (f, d) in withheld {
            out.entry(f).or_insert(d);
        }
    }
    for (f, _) in REDACTABLE {
        if let Some(v) = m.get(*f) {
            out.insert((*f).to_owned(), Value::String(value_digest(v)));
        }
    }
    Some(Value::Object(out))
}

impl Record {
    /// The hash the record should have.
    pub fn compute_hash(&self) -> String {
        if self.v.unwrap_or(1) >= COMMITTED_FROM
            && let Some(c) = committed(&self.data)
        {
            return hash_parts(self.head(), &to_canonical(&c));
        }
        hash_parts(self.head(), &to_canonical(&self.data))
    }

    /// The record with the fields of `categories` (`arguments`,
    /// `prompts`) withheld: each moved, as its digest, under `redacted`.
    /// Its hash and MAC stay valid (from format 8; an older record is
    /// returned as it is).
    pub fn redacted(&self, categories: &[&str]) -> Self {
        let mut r = self.clone();
        if r.v.unwrap_or(1) < COMMITTED_FROM {
            return r;
        }
        let Some(m) = r.data.as_object_mut() else {
            return r;
        };
        for (f, cat) in REDACTABLE {
            if categories.contains(cat)
                && let Some(v) = m.remove(*f)
            {
                let d = value_digest(&v);
                let w = m
                    .entry("redacted")
                    .or_insert_with(|| Value::Object(serde_json::Map::new()));
                if let Some(w) = w.as_object_mut() {
                    w.insert((*f).to_owned(), Value::String(d));
                }
            }
        }
        r
    }

    /// The MAC the record should have under `key`.
    pub fn compute_mac(&self, key: &[u8]) -> String {
        mac(key, &self.hash)
    }

    /// A string field of the data, if present.
    pub fn str(&self, field: &str) -> Option<&str> {
        self.data.get(field).and_then(Value::as_str)
    }

    /// Make a record of `event` at `seq`, chained to `prev`, MACed under
    /// `mac_key`: the exact bytes a writer produces for these values.
    pub fn seal(
        seq: u64,
        time: &str,
        host: Option<&str>,
        prev: &str,
        event: &Event,
        mac_key: &[u8],
    ) -> Self {
        let data = event.data();
        let mut r = Self {
            v: Some(crate::audit::event::FORMAT_VERSION),
            seq,
            time: time.to_owned(),
            host: host.map(str::to_owned),
            kind: event.kind().to_owned(),
            prev: prev.to_owned(),
            data,
            hash: String::new(),
            mac: String::new(),
        };
        r.hash = r.compute_hash();
        r.mac = r.compute_mac(mac_key);
        r
    }

    /// The record as its one stored line (without the newline), byte for
    /// byte as the writer stores it.
    pub fn line(&self) -> String {
        let mut out = Vec::new();
        encode_line(
            self.head(),
            &to_canonical(&self.data),
            &self.hash,
            &self.mac,
            &mut out,
        );
        String::from_utf8(out).unwrap_or_default()
    }

    /// The typed event, when the kind and data are ones this host knows.
    pub fn event(&self) -> Option<Event> {
        Event::from_parts(&self.kind, &self.data).ok()
    }

    pub(crate) fn head(&self) -> Head<'_> {
        Head {
            v: self.v,
            seq: self.seq,
            time: &self.time,
            host: self.host.as_deref(),
            kind: &self.kind,
            prev: &self.prev,
        }
    }
}

/// The fields of a record besides its data and chain values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Head<'a> {
    pub(crate) v: Option<u32>,
    pub(crate) seq: u64,
    pub(crate) time: &'a str,
    pub(crate) host: Option<&'a str>,
    pub(crate) kind: &'a str,
    pub(crate) prev: &'a str,
}

/// The hash of a record whose data is already in canonical form: SHA-256
/// of the canonical JSON of the record without `hash` and `mac` — keys
/// sorted: `data`, `host`, `kind`, `prev`, `seq`, `time`, `v` — written
/// without building the object.
pub(crate) fn hash_parts(h: Head<'_>, canonical_data: &[u8]) -> String {
    finish_hash(data_hasher(canonical_data), h)
}

/// SHA-256 fed with the part of a record's hashed form that comes before
/// its head fields (`data` sorts first): a writer computes it before it
/// knows the record's place in the chain, and [`finish_hash`] ends it.
pub(crate) fn data_hasher(canonical_data: &[u8]) -> sha2::Sha256 {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    hasher.update(b"{\"data\":");
    hasher.update(canonical_data);
    hasher
}

/// End the hash [`data_hasher`] began with the record's head fields.
pub(crate) fn finish_hash(mut hasher: sha2::Sha256, h: Head<'_>) -> String {
    use sha2::Digest as _;
    let mut b = Vec::with_capacity(200);
    if let Some(host) = h.host {
        b.extend_from_slice(b",\"host\":");
        write_json_str(host, &mut b);
    }
    b.extend_from_slice(b",\"kind\":");
    write_json_str(h.kind, &mut b);
    b.extend_from_slice(b",\"prev\":");
    write_json_str(h.prev, &mut b);
    b.extend_from_slice(format!(",\"seq\":{},\"time\":", h.seq).as_bytes());
    write_json_str(h.time, &mut b);
    if let Some(v) = h.v {
        b.extend_from_slice(format!(",\"v\":{v}").as_bytes());
    }
    b.push(b'}');
    hasher.update(&b);
    hex::encode(hasher.finalize())
}

/// One stored line (without the newline), reusing the canonical data.
pub(crate) fn encode_line(
    h: Head<'_>,
    canonical_data: &[u8],
    hash: &str,
    mac: &str,
    out: &mut Vec<u8>,
) {
    out.push(b'{');
    if let Some(v) = h.v {
        out.extend_from_slice(format!("\"v\":{v},").as_bytes());
    }
    out.extend_from_slice(format!("\"seq\":{},\"time\":", h.seq).as_bytes());
    write_json_str(h.time, out);
    if let Some(host) = h.host {
        out.extend_from_slice(b",\"host\":");
        write_json_str(host, out);
    }
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

/// The MAC of a record hash: HMAC-SHA256 under the audit key of
/// `warrant/v1 audit-record\n` followed by the hash in hex.
pub fn mac(key: &[u8], hash: &str) -> String {
    let mut msg = b"warrant/v1 audit-record\n".to_vec();
    msg.extend_from_slice(hash.as_bytes());
    hex::encode(hmac_sha256(key, &msg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fast_paths_match_the_definition() {
        let data = json!({"b": [1, "x\ny"], "a": {"z": null}});
        let canon = to_canonical(&data);
        for (v, host) in [(None, None), (Some(2), Some("host-1"))] {
            let mut body = json!({"seq": 7, "time": "2026-11-28T08:00:00.000Z", "kind": "call.decided", "prev": GENESIS, "data": data});
            if let Some(v) = v {
                body["v"] = json!(v);
            }
            if let Some(h) = host {
                body["host"] = json!(h);
            }
            let head = Head {
                v,
                seq: 7,
                time: "2026-11-28T08:00:00.000Z",
                host,
                kind: "call.decided",
                prev: GENESIS,
            };
            assert_eq!(hash_parts(head, &canon), sha256_hex(&to_canonical(&body)));
            let mut line = Vec::new();
            encode_line(head, &canon, "h", "m", &mut line);
            let r: Record = serde_json::from_slice(&line).unwrap();
            assert_eq!((r.seq, r.v, r.host.as_deref()), (7, v, host));
            assert_eq!(r.data, data);
            let mut r = r;
            r.hash = r.compute_hash();
            assert_eq!(r.hash, sha256_hex(&to_canonical(&body)));
        }
    }

    #[test]
    fn control_characters_cannot_split_a_line() {
        let data = json!({"prompt": "ok\n{\"seq\":99}\r\u{1b}[31mred"});
        let line = serde_json::to_string(&data).unwrap();
        assert!(!line.contains('\n') && !line.contains('\r') && !line.contains('\u{1b}'));
    }
}
