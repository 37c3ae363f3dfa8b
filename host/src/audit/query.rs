//! Reading the chain back: filtering records by task, agent, call and time.

use std::io::{BufRead, BufReader};
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::audit::record::Record;

/// Which records to show.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this task.
    pub task: Option<String>,
    /// Only this agent.
    pub agent: Option<String>,
    /// Only this call.
    pub call_id: Option<String>,
    /// Only at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only the records of calls made in this trace (W3C trace id).
    pub trace: Option<String>,
}

impl Filter {
    /// Whether a record passes.
    pub fn matches(&self, r: &Record) -> bool {
        if let Some(t) = &self.trace
            && r.data
                .get("trace")
                .and_then(|v| v.get("trace_id"))
                .and_then(serde_json::Value::as_str)
                != Some(t.as_str())
        {
            return false;
        }
        if self.task.is_none() && self.agent.is_none() && self.call_id.is_none() {
            return self.time_ok(r);
        }
        let Some(event) = r.event() else {
            return false;
        };
        if let Some(t) = &self.task
            && event.task() != Some(t.as_str())
        {
            return false;
        }
        if let Some(a) = &self.agent
            && event.agent() != Some(a.as_str())
        {
            return false;
        }
        if let Some(c) = &self.call_id
            && event.call_id() != Some(c.as_str())
        {
            return false;
        }
        self.time_ok(r)
    }

    fn time_ok(&self, r: &Record) -> bool {
        match &self.since {
            None => true,
            Some(s) => {
                matches!(DateTime::parse_from_rfc3339(&r.time), Ok(t) if t.with_timezone(&Utc) >= *s)
            }
        }
    }
}

/// Read every record that passes `filter` (unreadable lines are skipped;
/// `audit verify` is what reports them).
///
/// # Errors
///
/// When the log cannot be opened.
pub fn read_records(log: &Path, filter: &Filter) -> std::io::Result<Vec<Record>> {
    let f = crate::audit::ChainFile::open(log)?;
    Ok(BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str::<Record>(&l).ok())
        .filter(|r| filter.matches(r))
        .collect())
}
