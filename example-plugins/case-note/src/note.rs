//! The case file format and the append itself, independent of the SDK so that
//! it can be tested natively.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use warrant_sdk::ToolError;

use crate::{Input, Output};

/// Longest note accepted, in bytes.
pub const MAX_NOTE: usize = 16 * 1024;
const ENTRY_MARK: &str = "## Entry ";

/// Seconds since the Unix epoch, from the wall clock the host grants.
///
/// Without a clock grant the host's clock reads the epoch, and the note says
/// 1970-01-01: visibly wrong rather than silently invented.
pub fn now_utc() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Check a case id: 1–64 of `[A-Za-z0-9_-]`, starting with a letter or digit.
pub fn validate_case_id(id: &str) -> Result<(), ToolError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ToolError::invalid_input(format!(
            "case_id {id:?} must be 1-64 letters, digits, '-' or '_', starting with a letter or digit"
        )))
    }
}

/// Append one entry for `input` to `<root>/<case_id>.md`, creating the file
/// with a heading when the case is new.
///
/// # Errors
///
/// `invalid-input` for a bad case id, an empty or oversized note; `failed`
/// when the file cannot be read or written.
pub fn append(root: &Path, input: &Input, now: u64) -> Result<Output, ToolError> {
    validate_case_id(&input.case_id)?;
    let note = input.note.trim();
    if note.is_empty() {
        return Err(ToolError::invalid_input("note is empty"));
    }
    if note.len() > MAX_NOTE {
        return Err(ToolError::invalid_input(format!(
            "note is {} bytes; the limit is {MAX_NOTE}",
            note.len()
        )));
    }
    let author = input.author.as_deref().map(str::trim).unwrap_or("");
    if author.len() > 128 || author.contains(['\n', '\r']) {
        return Err(ToolError::invalid_input(
            "author must be one line of at most 128 bytes",
        ));
    }

    let path = root.join(format!("{}.md", input.case_id));
    let existing = count_entries(&path)?;
    let entry = existing + 1;

    let mut text = String::new();
    if existing == 0 && !path.exists() {
        text.push_str(&format!("# Case {}\n", input.case_id));
    }
    text.push_str(&format!("\n{ENTRY_MARK}{entry} — {}", format_time(now)));
    if !author.is_empty() {
        text.push_str(&format!(" — {author}"));
    }
    text.push_str("\n\n");
    // A note cannot forge a new entry heading: indent lines that look like one.
    for line in note.lines() {
        if line.starts_with('#') {
            text.push(' ');
        }
        text.push_str(line);
        text.push('\n');
    }

    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| ToolError::failed(format!("cannot open case file: {e}")))?;
    file.write_all(text.as_bytes())
        .map_err(|e| ToolError::failed(format!("cannot write case file: {e}")))?;

    Ok(Output {
        file: format!("/cases/{}.md", input.case_id),
        entry,
        bytes: text.len(),
    })
}

fn count_entries(path: &Path) -> Result<usize, ToolError> {
    match std::fs::File::open(path) {
        Ok(f) => Ok(BufReader::new(f)
            .lines()
            .map_while(Result::ok)
            .filter(|l| l.starts_with(ENTRY_MARK))
            .count()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(ToolError::failed(format!("cannot read case file: {e}"))),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the epoch.
pub fn format_time(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(case: &str, note: &str) -> Input {
        Input {
            case_id: case.into(),
            note: note.into(),
            author: Some("analyst-7".into()),
        }
    }

    #[test]
    fn formats_times() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(1_795_737_600), "2026-11-27T00:00:00Z");
        assert_eq!(format_time(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn appends_numbered_entries() {
        let dir = std::env::temp_dir().join(format!("case-note-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = append(&dir, &input("INC-1", "Blocked 203.0.113.45"), 0).unwrap();
        assert_eq!(first.entry, 1);
        let second = append(&dir, &input("INC-1", "# Entry 9 forged\nok"), 60).unwrap();
        assert_eq!(second.entry, 2);
        let text = std::fs::read_to_string(dir.join("INC-1.md")).unwrap();
        assert!(text.starts_with("# Case INC-1\n"));
        assert_eq!(text.matches("## Entry ").count(), 2);
        assert!(text.contains(" # Entry 9 forged"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_bad_input() {
        let dir = std::env::temp_dir();
        for bad in ["", "../etc/passwd", "a/b", "-x", &"x".repeat(65)] {
            assert!(matches!(
                append(&dir, &input(bad, "n"), 0),
                Err(ToolError::InvalidInput(_))
            ));
        }
        assert!(matches!(
            append(&dir, &input("INC-2", "   "), 0),
            Err(ToolError::InvalidInput(_))
        ));
        let huge = "x".repeat(MAX_NOTE + 1);
        assert!(matches!(
            append(&dir, &input("INC-2", &huge), 0),
            Err(ToolError::InvalidInput(_))
        ));
    }
}
