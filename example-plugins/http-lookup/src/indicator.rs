//! What is being looked up: undo the caller's defanging, work out the
//! indicator's kind when the caller did not name it, and check that the
//! indicator really is one of that kind.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use warrant_sdk::{JsonSchema, ToolError};

use crate::refang::{refang, starts_with_ignore_case};

/// Longest indicator accepted, in characters.
pub const MAX_LEN: usize = 512;

/// The kind of an indicator; the intel API files indicators under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An IPv4 or IPv6 address.
    Ip,
    /// A domain name.
    Domain,
    /// A URL with a scheme, e.g. `https://example.com/x`.
    Url,
    /// An MD5, SHA-1 or SHA-256 digest in hex.
    Hash,
}

impl Kind {
    /// The kind as it appears in the API path and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ip => "ip",
            Self::Domain => "domain",
            Self::Url => "url",
            Self::Hash => "hash",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An indicator ready to query: refanged, checked and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    /// The normalised value, e.g. a lower-case hash or domain.
    pub value: String,
    /// Its kind, as given or inferred.
    pub kind: Kind,
}

/// The kind an (already refanged) indicator looks like: an IP literal, a hex
/// digest, an `http(s)://` URL, and otherwise a domain.
pub fn infer(text: &str) -> Kind {
    if ip(text).is_some() {
        Kind::Ip
    } else if hash(text).is_some() {
        Kind::Hash
    } else if starts_with_ignore_case(text, "http://") || starts_with_ignore_case(text, "https://")
    {
        Kind::Url
    } else {
        Kind::Domain
    }
}

/// Refang, check and normalise the caller's indicator.
///
/// # Errors
///
/// `invalid-input` naming the `indicator` field when it is empty, too long,
/// not one token, or not of its kind.
pub fn parse(raw: &str, kind: Option<Kind>) -> Result<Indicator, ToolError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(ToolError::invalid_input("`indicator` is empty"));
    }
    let chars = trimmed.chars().count();
    if chars > MAX_LEN {
        return Err(ToolError::invalid_input(format!(
            "`indicator` is {chars} characters; the limit is {MAX_LEN}"
        )));
    }
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ToolError::invalid_input(
            "`indicator` must be a single value without spaces or control characters",
        ));
    }
    let plain = refang(trimmed);
    let inferred = kind.is_none();
    let kind = kind.unwrap_or_else(|| infer(&plain));
    let value = match kind {
        Kind::Ip => ip(&plain).map(|ip| ip.to_string()),
        Kind::Hash => hash(&plain),
        Kind::Url => url(&plain),
        Kind::Domain => domain(&plain),
    };
    let Some(value) = value else {
        let what = match kind {
            Kind::Ip => "an IPv4 or IPv6 address",
            Kind::Hash => "a hash: 32, 40 or 64 hex digits (MD5, SHA-1, SHA-256)",
            Kind::Url => "a URL with a scheme and a host, e.g. https://example.com/x",
            Kind::Domain => "a domain: labels of letters, digits and '-' joined by dots",
        };
        let given = if inferred {
            "it is not an IP address, hash or http(s) URL either; set `kind` if it is one"
        } else {
            "`kind` says it should be"
        };
        return Err(ToolError::invalid_input(format!(
            "`indicator` {plain:?} is not {what} ({given})"
        )));
    };
    Ok(Indicator { value, kind })
}

/// An IP literal, IPv6 optionally in brackets.
fn ip(text: &str) -> Option<IpAddr> {
    let bare = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    bare.parse().ok()
}

/// A hex digest of an MD5, SHA-1 or SHA-256, lower-cased.
fn hash(text: &str) -> Option<String> {
    (matches!(text.len(), 32 | 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| text.to_ascii_lowercase())
}

/// A URL: a scheme, `://` and a non-empty host; the scheme is lower-cased.
fn url(text: &str) -> Option<String> {
    let (scheme, rest) = text.split_once("://")?;
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let host_ok = !rest.is_empty() && !rest.starts_with(['/', '?', '#']);
    (scheme_ok && host_ok).then(|| format!("{}://{rest}", scheme.to_ascii_lowercase()))
}

/// A domain name, lower-cased and without a trailing dot.
fn domain(text: &str) -> Option<String> {
    let name = text.strip_suffix('.').unwrap_or(text).to_ascii_lowercase();
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |l: &&str| {
        (1..=63).contains(&l.len())
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let tld_ok = labels
        .last()
        .is_some_and(|t| t.bytes().any(|b| b.is_ascii_alphabetic()));
    (name.len() <= 253 && labels.len() >= 2 && labels.iter().all(label_ok) && tld_ok)
        .then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str, kind: Option<Kind>) -> (String, Kind) {
        let i = parse(raw, kind).unwrap();
        (i.value, i.kind)
    }

    fn invalid(raw: &str, kind: Option<Kind>) -> String {
        match parse(raw, kind) {
            Err(ToolError::InvalidInput(m)) => m,
            other => panic!("{raw:?} was not rejected: {other:?}"),
        }
    }

    #[test]
    fn infers_kinds() {
        assert_eq!(
            ok("203.0.113[.]45", None),
            ("203.0.113.45".into(), Kind::Ip)
        );
        assert_eq!(ok("[2001:DB8::1]", None), ("2001:db8::1".into(), Kind::Ip));
        assert_eq!(
            ok("44D88612FEA8A8F36DE82E1278ABB02F", None),
            ("44d88612fea8a8f36de82e1278abb02f".into(), Kind::Hash)
        );
        assert_eq!(ok(&"a".repeat(40), None).1, Kind::Hash);
        assert_eq!(ok(&"0".repeat(64), None).1, Kind::Hash);
        assert_eq!(
            ok("hxxps://cdn-update[.]top/payload.bin", None),
            ("https://cdn-update.top/payload.bin".into(), Kind::Url)
        );
        assert_eq!(
            ok("Invoice-Portal[.]TOP.", None),
            ("invoice-portal.top".into(), Kind::Domain)
        );
        // 33 hex digits is no digest, and a single label is no domain.
        assert!(invalid(&"a".repeat(33), None).contains("not a domain"));
    }

    #[test]
    fn explicit_kind_is_checked() {
        assert_eq!(ok(" example.org ", Some(Kind::Domain)).0, "example.org");
        assert_eq!(
            ok("ftp://files.darkdrop.ru/x", Some(Kind::Url)).0,
            "ftp://files.darkdrop.ru/x"
        );
        let m = invalid("example.org", Some(Kind::Ip));
        assert!(
            m.contains("`indicator`") && m.contains("IPv4 or IPv6") && m.contains("`kind`"),
            "{m}"
        );
        assert!(invalid("abc", Some(Kind::Hash)).contains("hex digits"));
        assert!(invalid("example.org", Some(Kind::Url)).contains("scheme"));
        assert!(invalid("http:///path", Some(Kind::Url)).contains("host"));
    }

    #[test]
    fn rejects_bad_input() {
        assert!(invalid("   ", None).contains("empty"));
        assert!(invalid(&"a".repeat(513), None).contains("limit is 512"));
        assert!(invalid("two words", None).contains("single value"));
        assert!(invalid("-bad-.com", None).contains("`indicator`"));
        assert!(invalid("1.2.3.999", None).contains("set `kind`"));
        assert!(invalid("localhost", None).contains("not a domain"));
        assert!(invalid("bücher.de", None).contains("not a domain"));
    }

    #[test]
    fn sample_data_is_stored_in_normal_form() {
        // The test server answers by exact match, so every sample entry must
        // be what `parse` makes of it, with and without its kind.
        let sample: serde_json::Value =
            serde_json::from_str(include_str!("../sample-intel.json")).unwrap();
        for entry in sample["indicators"].as_array().unwrap() {
            let value = entry["indicator"].as_str().unwrap();
            let kind: Kind = serde_json::from_value(entry["kind"].clone()).unwrap();
            assert_eq!(ok(value, None), (value.to_owned(), kind), "{entry}");
            assert_eq!(ok(value, Some(kind)).0, value);
        }
    }

    #[test]
    fn kinds_serialise_lowercase() {
        assert_eq!(serde_json::to_string(&Kind::Hash).unwrap(), "\"hash\"");
        let k: Kind = serde_json::from_str("\"url\"").unwrap();
        assert_eq!((k, k.to_string()), (Kind::Url, "url".to_owned()));
    }
}
