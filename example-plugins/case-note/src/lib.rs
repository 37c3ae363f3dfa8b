//! `case-note`: append a note to an incident case file.
//!
//! The host grants one read-write directory, mounted in the guest at
//! `/cases`; each case is one Markdown file, `/cases/<case-id>.md`, and every
//! call appends one entry to it. The tool is `high` impact: it changes the
//! record an incident is judged by, so by default a named human approves each
//! call.
//!
//! ```text
//! warrant call case-note.append --input '{"case_id":"INC-2026-0042","note":"Blocked 203.0.113.45"}'
//! ```

mod note;

use serde::{Deserialize, Serialize};
use warrant_sdk::{Impact, JsonSchema, Tool, ToolError};

/// Input of `append`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The case identifier, e.g. `INC-2026-0042`: letters, digits, `-` and `_`.
    pub case_id: String,
    /// The note to append, as Markdown. At most 16 KiB.
    pub note: String,
    /// Who or what the note is from, e.g. the analyst or agent name.
    #[serde(default)]
    pub author: Option<String>,
}

/// Output of `append`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Output {
    /// The case file written, as the guest sees it.
    pub file: String,
    /// The entry's number within the case file (1 for the first note).
    pub entry: usize,
    /// Bytes appended.
    pub bytes: usize,
}

/// Append a note to a case file under `/cases`.
#[derive(Debug)]
pub struct Append;

impl Tool for Append {
    const NAME: &'static str = "append";
    const DESCRIPTION: &'static str = "Append a timestamped note to an incident case file. \
        Changes the case record, so calls usually need a human's approval.";
    const IMPACT: Impact = Impact::High;
    type Input = Input;
    type Output = Output;

    fn call(input: Input) -> Result<Output, ToolError> {
        let written = note::append(std::path::Path::new("/cases"), &input, note::now_utc())?;
        warrant_sdk::log::info(&format!(
            "appended entry {} to case {}",
            written.entry, input.case_id
        ));
        Ok(written)
    }
}

warrant_sdk::export_plugin!(Append);
