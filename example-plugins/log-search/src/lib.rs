//! # log-search: search a granted log directory
//!
//! A warrant plugin with one tool, `search`, of impact `read`. It scans the
//! files under one read-only directory that the host preopens at `/logs`
//! for lines that match a regular expression, optionally only within a time
//! window, and returns each match with its file, line number and UTC time.
//!
//! Lines are timed by a timestamp at their start, RFC 3339
//! (`2026-11-27T08:14:02.123456+00:00 host sshd[..]: ...`) or classic
//! syslog (`Nov 27 08:14:02 host sshd[..]: ...`, year from the input).
//!
//! The logic is plain Rust, tested natively against `sample-logs/`:
//! [`query`] (input and its validation), [`files`] (which files to read),
//! [`lines`] (bounded line reading), [`search`] (the scan), [`time`]
//! (timestamp parsing) and [`calendar`] (date arithmetic). This file is only
//! the glue to the warrant SDK.

pub mod calendar;
pub mod files;
pub mod lines;
pub mod query;
pub mod search;
pub mod time;

use std::path::Path;

use warrant_sdk::{Impact, Tool, ToolError};

use crate::query::SearchInput;
use crate::search::SearchOutput;

/// Where the host mounts the granted log directory in the guest.
pub const LOG_ROOT: &str = "/logs";

/// The `search` tool.
struct Search;

impl Tool for Search {
    const NAME: &'static str = "search";
    const DESCRIPTION: &'static str = "Search the log files under /logs for lines matching a regular \
         expression, optionally within a time window (RFC 3339 since/until) or in one file; \
         returns file, 1-based line number, UTC time and text for each match.";
    const IMPACT: Impact = Impact::Read;
    type Input = SearchInput;
    type Output = SearchOutput;

    fn call(input: SearchInput) -> Result<SearchOutput, ToolError> {
        let output = search::search(Path::new(LOG_ROOT), &input)?;
        warrant_sdk::log::debug(&format!(
            "searched {} files, {} lines, {} matches",
            output.files_searched,
            output.lines_scanned,
            output.matches.len()
        ));
        Ok(output)
    }
}

warrant_sdk::export_plugin!(Search);
