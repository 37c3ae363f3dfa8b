//! The tool's output and the parts of an HTTP response it is made from.

use serde::Serialize;

use crate::indicator::Kind;

/// The intel API's judgement of an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Known bad.
    Malicious,
    /// Seen in suspicious activity, not confirmed bad.
    Suspicious,
    /// Known good.
    Benign,
    /// No judgement, or one this tool does not recognise.
    Unknown,
}

impl Verdict {
    /// Read the API's verdict, case-insensitively; anything else is unknown.
    pub fn from_api(text: &str) -> Self {
        match text.trim().to_ascii_lowercase().as_str() {
            "malicious" => Self::Malicious,
            "suspicious" => Self::Suspicious,
            "benign" => Self::Benign,
            _ => Self::Unknown,
        }
    }
}

/// Output of `lookup`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Output {
    /// The indicator queried, refanged and normalised.
    pub indicator: String,
    /// Its kind, as given or inferred.
    pub kind: Kind,
    /// Whether the intel API knows the indicator.
    pub found: bool,
    /// The API's verdict; `unknown` when not found.
    pub verdict: Verdict,
    /// The API's score, 0 (benign) to 100 (malicious), when it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<u8>,
    /// Labels such as `c2` or `phishing`.
    pub tags: Vec<String>,
    /// The feeds or reports behind the verdict.
    pub sources: Vec<String>,
    /// When the indicator was first seen, as the API wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    /// When the indicator was last seen, as the API wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    /// The origin queried, e.g. `http://127.0.0.1:8787`.
    pub api: String,
}

/// The parts of an HTTP response the summary needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The `location` header, if any.
    pub location: Option<String>,
    /// The body, as read (at most the plugin's cap).
    pub body: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::Verdict;

    #[test]
    fn reads_verdicts_leniently() {
        assert_eq!(Verdict::from_api(" Malicious "), Verdict::Malicious);
        assert_eq!(Verdict::from_api("SUSPICIOUS"), Verdict::Suspicious);
        assert_eq!(Verdict::from_api("benign"), Verdict::Benign);
        assert_eq!(Verdict::from_api("clean-ish"), Verdict::Unknown);
        assert_eq!(
            serde_json::to_string(&Verdict::Benign).unwrap(),
            "\"benign\""
        );
    }
}
