//! The tool's input and its validation into a ready-to-run query.

use regex_lite::{Regex, RegexBuilder};
use serde::Deserialize;
use warrant_sdk::{JsonSchema, ToolError};

use crate::time::{Timestamp, parse_rfc3339};

/// Longest accepted `pattern`, in characters.
pub const MAX_PATTERN_CHARS: usize = 512;
/// Matches returned when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 100;
/// Largest accepted `limit`.
pub const MAX_LIMIT: u32 = 1000;
/// Year for syslog timestamps when `year` is not given.
pub const DEFAULT_YEAR: i64 = 2026;

/// Input of the `search` tool.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchInput {
    /// Regular expression to find in each line (Rust regex syntax, ASCII
    /// classes), at most 512 characters. An empty pattern matches every line.
    pub pattern: String,
    /// A file name or relative path under the log directory, e.g.
    /// "auth.log" or "archive/auth.log.1"; a directory searches every file
    /// under it. Default: every file in the log directory, recursively.
    #[serde(default)]
    pub file: Option<String>,
    /// Only lines at or after this RFC 3339 time, e.g. "2026-11-27T08:00:00Z".
    /// Lines without a timestamp are then left out.
    #[serde(default)]
    pub since: Option<String>,
    /// Only lines before this RFC 3339 time. Lines without a timestamp are
    /// then left out.
    #[serde(default)]
    pub until: Option<String>,
    /// Most matches to return, 1 to 1000 (default 100).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Match letters regardless of case.
    #[serde(default)]
    pub case_insensitive: bool,
    /// Year of classic syslog timestamps ("Nov 27 08:14:02"), which carry
    /// none (default 2026). They are read as UTC.
    #[serde(default)]
    pub year: Option<i64>,
}

/// A validated query.
#[derive(Debug, Clone)]
pub struct Query {
    /// The compiled pattern.
    pub regex: Regex,
    /// Inclusive lower bound on line times.
    pub since: Option<Timestamp>,
    /// Exclusive upper bound on line times.
    pub until: Option<Timestamp>,
    /// Most matches to return.
    pub limit: usize,
    /// Year for syslog timestamps.
    pub year: i64,
}

impl Query {
    /// Validate `input`.
    ///
    /// # Errors
    ///
    /// [`ToolError::InvalidInput`] naming the field that is wrong.
    pub fn new(input: &SearchInput) -> Result<Self, ToolError> {
        let chars = input.pattern.chars().count();
        if chars > MAX_PATTERN_CHARS {
            return Err(ToolError::invalid_input(format!(
                "`pattern` has {chars} characters; the limit is {MAX_PATTERN_CHARS}"
            )));
        }
        let regex = RegexBuilder::new(&input.pattern)
            .case_insensitive(input.case_insensitive)
            .size_limit(1024 * 1024)
            .build()
            .map_err(|e| {
                ToolError::invalid_input(format!("`pattern` is not a valid regex: {e}"))
            })?;
        let since = input
            .since
            .as_deref()
            .map(|s| time_field("since", s))
            .transpose()?;
        let until = input
            .until
            .as_deref()
            .map(|s| time_field("until", s))
            .transpose()?;
        if let (Some(since), Some(until)) = (since, until)
            && since >= until
        {
            return Err(ToolError::invalid_input("`since` must be before `until`"));
        }
        let limit = input.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ToolError::invalid_input(format!(
                "`limit` is {limit}; it must be 1 to {MAX_LIMIT}"
            )));
        }
        let year = input.year.unwrap_or(DEFAULT_YEAR);
        if !(1970..=9999).contains(&year) {
            return Err(ToolError::invalid_input(format!(
                "`year` is {year}; it must be 1970 to 9999"
            )));
        }
        Ok(Self {
            regex,
            since,
            until,
            limit: limit as usize,
            year,
        })
    }

    /// Whether a line with timestamp `time` is inside the time window. With
    /// no window every line is; with one, lines without a time are not.
    pub fn in_window(&self, time: Option<Timestamp>) -> bool {
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        time.is_some_and(|t| self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u))
    }
}

fn time_field(name: &str, value: &str) -> Result<Timestamp, ToolError> {
    parse_rfc3339(value).ok_or_else(|| {
        ToolError::invalid_input(format!(
            "`{name}` {value:?} is not an RFC 3339 time such as \"2026-11-27T08:00:00Z\""
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pattern: &str) -> SearchInput {
        SearchInput {
            pattern: pattern.to_owned(),
            ..SearchInput::default()
        }
    }

    fn rejected(input: &SearchInput) -> String {
        match Query::new(input) {
            Err(ToolError::InvalidInput(message)) => message,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    fn at(s: &str) -> Option<Timestamp> {
        Some(parse_rfc3339(s).unwrap())
    }

    #[test]
    fn defaults() {
        let query = Query::new(&input("sshd")).unwrap();
        assert_eq!(query.limit, 100);
        assert_eq!(query.year, 2026);
        assert!(query.since.is_none() && query.until.is_none());
        assert!(query.regex.is_match("bastion-01 sshd[1]: x"));
        assert!(!query.regex.is_match("SSHD"));
    }

    #[test]
    fn input_json() {
        let json = r#"{"pattern":"Failed","file":"auth.log","since":"2026-11-27T08:00:00Z",
            "until":"2026-11-27T09:00:00Z","limit":5,"case_insensitive":true,"year":2025}"#;
        let input: SearchInput = serde_json::from_str(json).unwrap();
        let query = Query::new(&input).unwrap();
        assert_eq!((query.limit, query.year), (5, 2025));
        assert!(query.regex.is_match("FAILED"));
        assert!(serde_json::from_str::<SearchInput>(r#"{"pattern":"x","lines":3}"#).is_err());
        assert!(serde_json::from_str::<SearchInput>(r#"{"pattern":"x","limit":-1}"#).is_err());
    }

    #[test]
    fn pattern_limits() {
        assert!(Query::new(&input(&"a".repeat(MAX_PATTERN_CHARS))).is_ok());
        let long = "é".repeat(MAX_PATTERN_CHARS + 1);
        assert!(rejected(&input(&long)).contains("513 characters"));
        assert!(rejected(&input("Failed (password")).contains("not a valid regex"));
        assert!(Query::new(&input("")).unwrap().regex.is_match("anything"));
    }

    #[test]
    fn time_fields() {
        let mut bad = input("x");
        bad.since = Some("2026-11-27 08:00".to_owned());
        assert!(rejected(&bad).contains("`since` \"2026-11-27 08:00\""));
        let mut bad = input("x");
        bad.until = Some("yesterday".to_owned());
        assert!(rejected(&bad).contains("`until`"));
        let mut backwards = input("x");
        backwards.since = Some("2026-11-27T09:00:00Z".to_owned());
        backwards.until = Some("2026-11-27T10:00:00+02:00".to_owned());
        assert!(rejected(&backwards).contains("before"));
    }

    #[test]
    fn limit_and_year_ranges() {
        for (limit, ok) in [(0, false), (1, true), (1000, true), (1001, false)] {
            let mut i = input("x");
            i.limit = Some(limit);
            assert_eq!(Query::new(&i).is_ok(), ok, "limit {limit}");
        }
        for (year, ok) in [(1969, false), (1970, true), (9999, true), (10_000, false)] {
            let mut i = input("x");
            i.year = Some(year);
            assert_eq!(Query::new(&i).is_ok(), ok, "year {year}");
        }
    }

    #[test]
    fn window_is_inclusive_then_exclusive() {
        let mut i = input("x");
        i.since = Some("2026-11-27T08:00:00Z".to_owned());
        i.until = Some("2026-11-27T09:00:00Z".to_owned());
        let query = Query::new(&i).unwrap();
        assert!(query.in_window(at("2026-11-27T08:00:00Z")));
        assert!(query.in_window(at("2026-11-27T08:59:59.999999999Z")));
        assert!(!query.in_window(at("2026-11-27T09:00:00Z")));
        assert!(!query.in_window(at("2026-11-27T07:59:59.9Z")));
        assert!(!query.in_window(None));
        let open = Query::new(&input("x")).unwrap();
        assert!(open.in_window(None) && open.in_window(at("1999-01-01T00:00:00Z")));
        let mut since_only = input("x");
        since_only.since = Some("2026-11-27T08:00:00Z".to_owned());
        let query = Query::new(&since_only).unwrap();
        assert!(query.in_window(at("2030-01-01T00:00:00Z")) && !query.in_window(None));
    }
}
