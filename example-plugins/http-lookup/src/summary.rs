//! Turn the intel API's answer into the tool's output: a verdict for a `200`,
//! "not found" for a `404`, and a clear error for anything else.

use serde_json::Value;
use warrant_sdk::ToolError;

use crate::indicator::Indicator;
use crate::model::{Output, Response, Verdict};

/// Longest piece of a response body quoted in an error, in characters.
pub const SNIPPET_CHARS: usize = 200;

/// Summarise the API's `response` about `indicator`, queried at origin `api`.
///
/// # Errors
///
/// `failed` for a redirect, an unexpected status (quoting a snippet of the
/// body), or a `200` whose body is not a JSON object.
pub fn summarise(
    indicator: &Indicator,
    api: &str,
    response: &Response,
) -> Result<Output, ToolError> {
    let mut output = Output {
        indicator: indicator.value.clone(),
        kind: indicator.kind,
        found: false,
        verdict: Verdict::Unknown,
        score: None,
        tags: Vec::new(),
        sources: Vec::new(),
        first_seen: None,
        last_seen: None,
        api: api.to_owned(),
    };
    match response.status {
        200 => {}
        404 => return Ok(output),
        status @ 300..=399 => {
            let to = response.location.as_deref().map_or_else(
                || "nowhere (no location header)".to_owned(),
                |l| snippet(l.as_bytes()),
            );
            return Err(ToolError::failed(format!(
                "the intel API answered {status} redirecting to {to}; redirects are not followed"
            )));
        }
        status @ (401 | 403) => {
            return Err(ToolError::failed(format!(
                "the intel API answered {status}: it refused the credentials; check that the \
                 INTEL_API_KEY secret is granted and set ({})",
                snippet(&response.body)
            )));
        }
        status => {
            return Err(ToolError::failed(format!(
                "the intel API answered {status}: {}",
                snippet(&response.body)
            )));
        }
    }
    let record = match serde_json::from_slice::<Value>(&response.body) {
        Ok(Value::Object(record)) => record,
        _ => {
            return Err(ToolError::failed(format!(
                "the intel API answered 200 but its body is not a JSON object: {}",
                snippet(&response.body)
            )));
        }
    };
    output.found = true;
    output.verdict = record
        .get("verdict")
        .and_then(Value::as_str)
        .map_or(Verdict::Unknown, Verdict::from_api);
    output.score = record
        .get("score")
        .and_then(Value::as_f64)
        .filter(|s| s.is_finite())
        // Clamped and rounded into 0..=100 first, so the cast cannot truncate.
        .map(|s| s.clamp(0.0, 100.0).round() as u8);
    output.tags = strings(record.get("tags"));
    output.sources = strings(record.get("sources"));
    output.first_seen = text(record.get("first_seen"));
    output.last_seen = text(record.get("last_seen"));
    Ok(output)
}

/// The non-empty strings of a JSON array; objects count by their `name`.
fn strings(value: Option<&Value>) -> Vec<String> {
    let Some(Value::Array(items)) = value else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| match item {
            Value::String(s) => Some(s.trim()),
            Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::trim),
            _ => None,
        })
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A non-empty JSON string.
fn text(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// `error` with every occurrence of `secret` replaced by `[redacted]`: an
/// API may echo a rejected key in the body that an error quotes.
pub fn redact(error: ToolError, secret: Option<&str>) -> ToolError {
    let Some(secret) = secret.filter(|s| !s.is_empty()) else {
        return error;
    };
    match error {
        ToolError::InvalidInput(m) => ToolError::InvalidInput(m.replace(secret, "[redacted]")),
        ToolError::Failed(m) => ToolError::Failed(m.replace(secret, "[redacted]")),
    }
}

/// At most [`SNIPPET_CHARS`] characters of `body` as one line, for errors.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut words = text.split_whitespace();
    let mut out = String::new();
    let mut chars = 0;
    let mut cut = false;
    'words: for (i, word) in words.by_ref().enumerate() {
        for c in (i > 0).then_some(' ').into_iter().chain(word.chars()) {
            if chars == SNIPPET_CHARS {
                cut = true;
                break 'words;
            }
            out.push(if c.is_control() { '?' } else { c });
            chars += 1;
        }
    }
    if out.is_empty() {
        "(empty body)".to_owned()
    } else if cut {
        format!("{out}…")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::Kind;
    use serde_json::json;

    fn ind(value: &str, kind: Kind) -> Indicator {
        Indicator {
            value: value.into(),
            kind,
        }
    }

    fn answer(status: u16, body: &str) -> Response {
        Response {
            status,
            location: None,
            body: body.as_bytes().to_vec(),
        }
    }

    const API: &str = "http://127.0.0.1:8787";

    #[test]
    fn summarises_a_full_record() {
        let body = json!({
            "indicator": "198.51.100.77", "kind": "ip", "verdict": "Malicious", "score": 97,
            "tags": ["c2", "", 7], "first_seen": "2026-11-20T00:00:00Z",
            "last_seen": "2026-11-27T08:40:00Z", "sources": ["abuse-feed", {"name": "ir-2026-1127"}]
        });
        let out = summarise(
            &ind("198.51.100.77", Kind::Ip),
            API,
            &answer(200, &body.to_string()),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&out).unwrap(),
            json!({
                "indicator": "198.51.100.77", "kind": "ip", "found": true, "verdict": "malicious",
                "score": 97, "tags": ["c2"], "sources": ["abuse-feed", "ir-2026-1127"],
                "first_seen": "2026-11-20T00:00:00Z", "last_seen": "2026-11-27T08:40:00Z",
                "api": API
            })
        );
    }

    #[test]
    fn is_lenient_about_missing_and_odd_fields() {
        let out = summarise(
            &ind("a.top", Kind::Domain),
            API,
            &answer(200, r#"{"verdict":"weird","score":250.4,"tags":"x"}"#),
        )
        .unwrap();
        assert_eq!(
            (out.found, out.verdict, out.score),
            (true, Verdict::Unknown, Some(100))
        );
        assert!(out.tags.is_empty() && out.sources.is_empty() && out.first_seen.is_none());
        let out = summarise(&ind("a.top", Kind::Domain), API, &answer(200, "{}")).unwrap();
        let json = serde_json::to_value(&out).unwrap();
        assert!(json.get("score").is_none() && json.get("last_seen").is_none());
        assert_eq!(json["verdict"], "unknown");
    }

    #[test]
    fn not_found_is_an_answer() {
        let out = summarise(&ind("example.org", Kind::Domain), API, &answer(404, "nope")).unwrap();
        assert_eq!(
            (out.found, out.verdict, out.api.as_str()),
            (false, Verdict::Unknown, API)
        );
    }

    #[test]
    fn redirects_are_errors() {
        let mut r = answer(302, "");
        r.location = Some("http://elsewhere.example/v1/x".into());
        let err = summarise(&ind("a.top", Kind::Domain), API, &r).unwrap_err();
        assert_eq!(
            err,
            ToolError::failed(
                "the intel API answered 302 redirecting to http://elsewhere.example/v1/x; \
                 redirects are not followed"
            )
        );
        let err = summarise(&ind("a.top", Kind::Domain), API, &answer(301, "")).unwrap_err();
        assert!(err.to_string().contains("no location header"), "{err}");
    }

    #[test]
    fn other_statuses_quote_the_body() {
        let long = format!("boom\n\t{}", "x".repeat(500));
        let err = summarise(&ind("a.top", Kind::Domain), API, &answer(500, &long)).unwrap_err();
        let ToolError::Failed(m) = err else {
            panic!("{err:?}")
        };
        assert!(m.starts_with("the intel API answered 500: boom xxx"), "{m}");
        assert!(m.ends_with('…') && m.chars().count() < 240, "{m}");
        let err = summarise(&ind("a.top", Kind::Domain), API, &answer(401, "")).unwrap_err();
        assert!(
            err.to_string().contains("INTEL_API_KEY") && err.to_string().contains("(empty body)")
        );
        let err = summarise(&ind("a.top", Kind::Domain), API, &answer(200, "[1,2]")).unwrap_err();
        assert!(
            err.to_string().contains("not a JSON object: [1,2]"),
            "{err}"
        );
    }

    #[test]
    fn redacts_an_echoed_key() {
        let body = r#"{"error":"key s3cr3t-k3y is revoked"}"#;
        let err = summarise(&ind("a.top", Kind::Domain), API, &answer(403, body)).unwrap_err();
        let err = redact(err, Some("s3cr3t-k3y"));
        assert!(
            err.to_string().contains("key [redacted] is revoked"),
            "{err}"
        );
        assert_eq!(
            redact(ToolError::failed("x"), Some("")),
            ToolError::failed("x")
        );
        assert_eq!(redact(ToolError::failed("x"), None), ToolError::failed("x"));
    }

    #[test]
    fn snippets_are_one_bounded_line() {
        assert_eq!(snippet(b"  a \r\n b  "), "a b");
        assert_eq!(snippet(b"\xff\x00ok"), "\u{fffd}?ok");
        assert_eq!(snippet(&[b'y'; 200]), "y".repeat(200));
        assert_eq!(snippet(&[b'y'; 201]), format!("{}…", "y".repeat(200)));
    }
}
