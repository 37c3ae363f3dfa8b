//! The budget layer: at most so many calls, high-impact calls or bytes of
//! output per task, agent or tool over a window (`[[budgets]]`), counted
//! from the calls that ran — and what already happened in the task, for
//! policies that read `context.history`.

use crate::authz::{Authz, Refusal};
use crate::config::{Budget, BudgetPer};
use crate::state::{TaskHistory, Usage, UsageScope};

/// One call, as budgets see it.
pub(crate) struct Spend<'a> {
    pub(crate) agent: &'a str,
    pub(crate) tool: &'a str,
    pub(crate) task: &'a str,
    pub(crate) high: bool,
    pub(crate) now_ms: i64,
}

impl Authz {
    /// Whether the calls that run must be counted: budgets are configured,
    /// or a policy reads the task's history.
    pub fn counts_uses(&self) -> bool {
        !self.config.budgets.is_empty() || self.uses_history()
    }

    /// Whether a live or shadow policy reads `context.history`.
    pub fn uses_history(&self) -> bool {
        self.policy.uses_history() || self.shadow.as_ref().is_some_and(|s| s.uses_history())
    }

    /// Refuse when a budget the call falls under is used up; then the
    /// task's history, when policies read it.
    pub(crate) async fn budget_layer(&self, c: &Spend<'_>) -> Result<TaskHistory, Refusal> {
        let host = |e: crate::state::StateError| Refusal::Host(e.to_string());
        for b in &self.config.budgets {
            let scope = match (b.per, &b.only) {
                (BudgetPer::Task, _) => UsageScope::Task(c.task.to_owned()),
                (BudgetPer::Agent, Some(a)) if a != c.agent => continue,
                (BudgetPer::Agent, _) => UsageScope::Agent(c.agent.to_owned()),
                (BudgetPer::Tool, Some(t)) if t != c.tool => continue,
                (BudgetPer::Tool, _) => UsageScope::Tool(c.tool.to_owned()),
            };
            let since = b.window.map_or(0, |w| {
                c.now_ms - i64::try_from(w.as_millis()).unwrap_or(i64::MAX / 2)
            });
            let used = self.state.usage(&scope, since).await.map_err(host)?;
            if let Some(why) = exceeded(b, &used, c.high) {
                return Err(Refusal::Budget {
                    budget: b.name.clone(),
                    why: format!("{why} {}", over(b, &scope)),
                });
            }
        }
        if self.uses_history() {
            return self.state.task_history(c.task).await.map_err(host);
        }
        Ok(TaskHistory::default())
    }
}

fn exceeded(b: &Budget, used: &Usage, high: bool) -> Option<String> {
    if let Some(max) = b.calls
        && used.calls >= max
    {
        return Some(format!("{} of {max} calls made", used.calls));
    }
    if let Some(max) = b.high_impact_calls
        && high
        && used.high_impact_calls >= max
    {
        return Some(format!(
            "{} of {max} high-impact calls made",
            used.high_impact_calls
        ));
    }
    if let Some(max) = b.output
        && used.output >= max
    {
        return Some(format!("{} of {max} bytes of output returned", used.output));
    }
    None
}

fn over(b: &Budget, scope: &UsageScope) -> String {
    let what = match scope {
        UsageScope::Task(t) => format!("in task {t}"),
        UsageScope::Agent(a) => format!("by agent {a}"),
        UsageScope::Tool(t) => format!("of {t}"),
    };
    match b.window {
        Some(w) => format!("{what} in the last {}", crate::vocab::Span(w)),
        None => what,
    }
}
