//! Budgets: at most so many calls, high-impact calls or bytes of output
//! per task, per agent or per tool, over a window — a bound on the task as
//! a whole, which an agent cannot dodge by splitting one change into many
//! small allowed calls.
//!
//! ```toml
//! [[budgets]]
//! name = "incident-writes"
//! per = "task"                 # task | agent | tool
//! high-impact-calls = 5
//! calls = 200
//! output = "10MiB"
//! window = "24h"               # default: the whole task (per task), 1h otherwise
//! ```

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::vocab::{parse_duration, parse_size};

/// `[[budgets]]` as written.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BudgetEntry {
    /// Its name, in refusals and records.
    pub name: String,
    /// What it counts: `task`, `agent` or `tool`.
    pub per: String,
    /// Only this agent (`per = "agent"`) or tool (`per = "tool"`); default
    /// each one.
    pub only: Option<String>,
    /// Calls at most.
    pub calls: Option<u64>,
    /// High-impact calls at most.
    pub high_impact_calls: Option<u64>,
    /// Bytes of output at most.
    pub output: Option<String>,
    /// Over this window.
    pub window: Option<String>,
}

/// What a budget counts calls of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetPer {
    /// Each task.
    Task,
    /// Each agent.
    Agent,
    /// Each tool.
    Tool,
}

/// A budget, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// Its name.
    pub name: String,
    /// What it counts.
    pub per: BudgetPer,
    /// Only this agent or tool.
    pub only: Option<String>,
    /// Calls at most.
    pub calls: Option<u64>,
    /// High-impact calls at most.
    pub high_impact_calls: Option<u64>,
    /// Bytes of output at most.
    pub output: Option<u64>,
    /// The window (`None`: all of the task's calls).
    pub window: Option<Duration>,
}

/// Check every budget; the error names the field.
pub(super) fn budgets(entries: &[BudgetEntry]) -> Result<Vec<Budget>, (String, String)> {
    let mut out: Vec<Budget> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let f = |name: &str| format!("budgets[{i}].{name}");
        if !crate::config::valid_id(&e.name) || out.iter().any(|b| b.name == e.name) {
            return Err((f("name"), format!("{:?} must be a unique id", e.name)));
        }
        let per = match e.per.as_str() {
            "task" => BudgetPer::Task,
            "agent" => BudgetPer::Agent,
            "tool" => BudgetPer::Tool,
            other => {
                return Err((
                    f("per"),
                    format!("{other:?}: a budget is per task, agent or tool"),
                ));
            }
        };
        if e.only.is_some() && per == BudgetPer::Task {
            return Err((f("only"), "a per-task budget holds for every task".into()));
        }
        let output = e
            .output
            .as_deref()
            .map(parse_size)
            .transpose()
            .map_err(|err| (f("output"), err.to_string()))?;
        if e.calls.is_none() && e.high_impact_calls.is_none() && output.is_none() {
            return Err((
                f("calls"),
                "a budget needs calls, high-impact-calls or output".into(),
            ));
        }
        let window = match (&e.window, per) {
            (Some(w), _) => Some(parse_duration(w).map_err(|err| (f("window"), err.to_string()))?),
            (None, BudgetPer::Task) => None,
            (None, _) => Some(Duration::from_secs(3600)),
        };
        out.push(Budget {
            name: e.name.clone(),
            per,
            only: e.only.clone(),
            calls: e.calls,
            high_impact_calls: e.high_impact_calls,
            output,
            window,
        });
    }
    Ok(out)
}
