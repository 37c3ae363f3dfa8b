//! The search itself: scan the selected files line by line for lines in
//! the time window that match the pattern.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::Path;

use serde::Serialize;
use warrant_sdk::ToolError;

use crate::files::{self, LogFile};
use crate::lines::{cut, read_line};
use crate::query::{Query, SearchInput};
use crate::time::line_time;

/// A match's `text` is cut to this many bytes (on a character boundary).
pub const MAX_TEXT_BYTES: usize = 4096;

/// One matching line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Match {
    /// The file, relative to the log directory.
    pub file: String,
    /// 1-based line number.
    pub line: u64,
    /// The line's timestamp in UTC, `YYYY-MM-DDTHH:MM:SSZ`, if it has one.
    pub time: Option<String>,
    /// The line, without its line ending, cut to 4 KiB.
    pub text: String,
}

/// Result of the `search` tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SearchOutput {
    /// Matching lines, in file order then line order.
    pub matches: Vec<Match>,
    /// Files opened.
    pub files_searched: usize,
    /// Lines read.
    pub lines_scanned: u64,
    /// Whether the search stopped at `limit` with more matches left.
    pub truncated: bool,
}

/// Run a search over the log directory `root` (`/logs` in the component).
///
/// # Errors
///
/// [`ToolError::InvalidInput`] for a bad pattern, time, limit, year or
/// file; [`ToolError::Failed`] when a file cannot be read.
pub fn search(root: &Path, input: &SearchInput) -> Result<SearchOutput, ToolError> {
    let query = Query::new(input)?;
    let files = files::select(root, input.file.as_deref())?;
    let mut output = SearchOutput {
        matches: Vec::new(),
        files_searched: 0,
        lines_scanned: 0,
        truncated: false,
    };
    for file in &files {
        output.files_searched += 1;
        scan_file(file, &query, &mut output)
            .map_err(|e| ToolError::failed(format!("cannot read {}: {e}", file.name)))?;
        if output.truncated {
            break;
        }
    }
    Ok(output)
}

/// Scan one file, appending to `output`; stops early once past the limit.
fn scan_file(file: &LogFile, query: &Query, output: &mut SearchOutput) -> io::Result<()> {
    let mut reader = BufReader::new(File::open(&file.path)?);
    let mut buf = Vec::new();
    let mut number = 0u64;
    while read_line(&mut reader, &mut buf)? {
        number += 1;
        output.lines_scanned += 1;
        let line = String::from_utf8_lossy(&buf);
        let time = line_time(&line, query.year);
        if !query.in_window(time) || !query.regex.is_match(&line) {
            continue;
        }
        if output.matches.len() == query.limit {
            output.truncated = true;
            return Ok(());
        }
        output.matches.push(Match {
            file: file.name.clone(),
            line: number,
            time: time.map(|t| t.to_string()),
            text: cut(&line, MAX_TEXT_BYTES).to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn sample_logs() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs")
    }

    fn run(input: SearchInput) -> SearchOutput {
        search(&sample_logs(), &input).unwrap()
    }

    fn input(pattern: &str) -> SearchInput {
        SearchInput {
            pattern: pattern.to_owned(),
            ..SearchInput::default()
        }
    }

    fn window(pattern: &str, since: &str, until: &str) -> SearchInput {
        SearchInput {
            since: Some(since.to_owned()),
            until: Some(until.to_owned()),
            ..input(pattern)
        }
    }

    /// A scratch log directory, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str, files: &[(&str, &str)]) -> Self {
            let dir =
                std::env::temp_dir().join(format!("log-search-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            for (file, text) in files {
                std::fs::write(dir.join(file), text).unwrap();
            }
            Self(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn finds_the_compromising_login() {
        let out = run(input("Accepted password"));
        assert_eq!(out.files_searched, 2);
        assert_eq!(out.lines_scanned, 48 + 233);
        assert!(!out.truncated);
        assert_eq!(
            out.matches,
            [Match {
                file: "auth.log".to_owned(),
                line: 149,
                time: Some("2026-11-27T08:31:47Z".to_owned()),
                text: "2026-11-27T08:31:47.164955+00:00 bastion-01 sshd[4873]: Accepted password \
                       for admin from 203.0.113.45 port 50412 ssh2"
                    .to_owned(),
            }]
        );
    }

    #[test]
    fn brute_force_burst() {
        let out = run(input(
            r"Failed password for invalid user \S+ from 203\.0\.113\.45",
        ));
        assert_eq!(out.matches.len(), 30);
        let (first, last) = (&out.matches[0], &out.matches[29]);
        assert_eq!(
            (first.line, first.time.as_deref()),
            (44, Some("2026-11-27T08:14:04Z"))
        );
        assert_eq!(
            (last.line, last.time.as_deref()),
            (133, Some("2026-11-27T08:20:10Z"))
        );
        assert!(last.text.contains("user deployer"));
    }

    #[test]
    fn syslog_archive_takes_the_year_from_the_input() {
        let mut query = input(r"203\.0\.113\.45");
        query.file = Some("archive/auth.log.1".to_owned());
        let out = run(query.clone());
        assert_eq!((out.files_searched, out.lines_scanned), (1, 48));
        assert_eq!(out.matches.len(), 13);
        assert_eq!(out.matches[0].file, "archive/auth.log.1");
        assert_eq!(out.matches[0].line, 36);
        assert_eq!(out.matches[0].time.as_deref(), Some("2026-11-26T22:40:12Z"));
        query.year = Some(2025);
        assert_eq!(
            run(query).matches[0].time.as_deref(),
            Some("2025-11-26T22:40:12Z")
        );
    }

    #[test]
    fn window_spans_both_formats_with_sub_second_bounds() {
        let ip = r"203\.0\.113\.45";
        // The burst's first line is at 08:14:02.123456; `until` is exclusive.
        let before = run(window(
            ip,
            "2026-11-26T22:00:00Z",
            "2026-11-27T08:14:02.123456Z",
        ));
        assert_eq!(before.matches.len(), 13);
        assert!(
            before
                .matches
                .iter()
                .all(|m| m.file == "archive/auth.log.1")
        );
        let with = run(window(
            ip,
            "2026-11-26T22:00:00Z",
            "2026-11-27T08:14:02.123457Z",
        ));
        assert_eq!(with.matches.len(), 14);
        assert_eq!(with.matches[13].line, 43);
        // The same instant written with an offset.
        let shifted = run(window(
            ip,
            "2026-11-27T00:00:00+02:00",
            "2026-11-27T10:14:02.123457+02:00",
        ));
        assert_eq!(shifted.matches, with.matches);
    }

    #[test]
    fn limit_truncates_and_stops_early() {
        let hour = window(
            r"203\.0\.113\.45",
            "2026-11-27T08:00:00Z",
            "2026-11-27T09:00:00Z",
        );
        let out = run(hour.clone());
        assert_eq!(out.matches.len(), 100);
        assert!(out.truncated);
        let all = run(SearchInput {
            limit: Some(1000),
            ..hour
        });
        assert_eq!(all.matches.len(), 107);
        assert!(!all.truncated);

        // The archive has one login; the search stops at the next one, on
        // line 29 of auth.log, without reading further.
        let first = run(SearchInput {
            limit: Some(1),
            ..input("Accepted")
        });
        assert_eq!(
            (first.matches[0].file.as_str(), first.matches[0].line),
            ("archive/auth.log.1", 15)
        );
        assert!(first.truncated);
        assert_eq!((first.files_searched, first.lines_scanned), (2, 48 + 29));
    }

    #[test]
    fn case_insensitive() {
        assert!(run(input("ACCEPTED PASSWORD")).matches.is_empty());
        let out = run(SearchInput {
            case_insensitive: true,
            ..input("ACCEPTED PASSWORD")
        });
        assert_eq!(out.matches.len(), 1);
    }

    #[test]
    fn empty_pattern_lists_a_window() {
        let out = run(window("", "2026-11-27T08:31:00Z", "2026-11-27T08:32:00Z"));
        assert_eq!(out.matches.len(), 3);
        assert!(
            out.matches
                .iter()
                .all(|m| m.time.as_deref() == Some("2026-11-27T08:31:47Z"))
        );
    }

    #[test]
    fn untimed_lines_only_without_a_window() {
        let text = "2026-11-27T08:00:00Z host a: boom\n\tat stack frame boom\r\nNov 27 08:00:01 host b: boom";
        let dir = Scratch::new("untimed", &[("app.log", text)]);
        let all = search(&dir.0, &input("boom")).unwrap();
        assert_eq!(all.matches.len(), 3);
        assert_eq!(all.matches[1].time, None);
        assert_eq!(all.matches[1].text, "\tat stack frame boom");
        assert_eq!(all.matches[2].time.as_deref(), Some("2026-11-27T08:00:01Z"));
        let timed = search(
            &dir.0,
            &window("boom", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(
            timed.matches.iter().map(|m| m.line).collect::<Vec<_>>(),
            [1, 3]
        );
        assert_eq!(timed.lines_scanned, 3);
    }

    #[test]
    fn long_lines_are_cut_in_output_only() {
        let long = format!("{}needle{}", "é".repeat(3000), "x".repeat(10));
        let dir = Scratch::new("long", &[("big.log", &long)]);
        let out = search(&dir.0, &input("needle")).unwrap();
        let text = &out.matches[0].text;
        assert!(text.len() <= MAX_TEXT_BYTES && text.len() > MAX_TEXT_BYTES - 4);
        assert!(text.chars().all(|c| c == 'é'));
    }

    #[test]
    fn errors() {
        let bad_file = |file: &str| SearchInput {
            file: Some(file.to_owned()),
            ..input("x")
        };
        for (query, needle) in [
            (bad_file("/var/log/auth.log"), "absolute"),
            (bad_file("../src/lib.rs"), "`..`"),
            (bad_file("auth.log.2"), "\"auth.log.2\" does not exist"),
            (input("("), "regex"),
        ] {
            match search(&sample_logs(), &query) {
                Err(ToolError::InvalidInput(m)) => assert!(m.contains(needle), "{m}"),
                other => panic!("{needle}: {other:?}"),
            }
        }
    }
}
