//! The budget layer: at most so many calls, high-impact calls or bytes of
//! output per task, agent or tool over a window (`[[budgets]]`), counted
//! from the calls that ran — and what already happened in the task, for
//! policies that read `context.history`.

use crate::authz::{Authz, Refusal};
use crate::config::{Budget, BudgetPer};
use crate::state::{TaskHistory, Usage, UsageScope, UseLimit};

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
    /// task's history, when policies read it. (The call is counted, and
    /// its budgets checked again in the same transaction, when it starts
    /// to run: [`Authz::count_use`].)
    pub(crate) async fn budget_layer(&self, c: &Spend<'_>) -> Result<TaskHistory, Refusal> {
        let host = |e: crate::state::StateError| Refusal::Host(e.to_string());
        // A slice of these budgets held here had room when it was taken.
        let held = self.state.holds_uses(c.task, c.agent, c.tool, c.now_ms);
        for (b, limit) in self.limits(c).into_iter().filter(|_| !held) {
            let used = self
                .state
                .usage(&limit.scope, limit.since_ms)
                .await
                .map_err(host)?;
            if limit.reached(&used, c.high) {
                return Err(refusal(b, &limit, &used, c.high));
            }
        }
        if self.uses_history() {
            return self.state.task_history(c.task).await.map_err(host);
        }
        Ok(TaskHistory::default())
    }

    /// Count a call that is about to run, where budgets or policies need
    /// it: its budgets are checked and the call counted in one transaction
    /// of the shared state, so that concurrent calls — in this process,
    /// another process, or another host of the fleet — never run more than
    /// a budget holds. A call that cannot be counted does not run.
    ///
    /// # Errors
    ///
    /// [`Refusal::Budget`] naming the budget now used up, or
    /// [`Refusal::Host`] when the state cannot count it.
    pub(crate) async fn count_use(&self, c: &Spend<'_>) -> Result<Option<i64>, Refusal> {
        if !self.counts_uses() {
            return Ok(None);
        }
        let (budgets, limits): (Vec<&Budget>, Vec<UseLimit>) = self.limits(c).into_iter().unzip();
        let u = crate::state::CallUse {
            task: c.task.to_owned(),
            agent: c.agent.to_owned(),
            tool: c.tool.to_owned(),
            high: c.high,
            at: c.now_ms,
        };
        match self.state.record_use(&u, &limits).await {
            Ok(Ok(id)) => Ok(Some(id)),
            Ok(Err(hit)) => Err(refusal(
                budgets[hit.index],
                &limits[hit.index],
                &hit.used,
                c.high,
            )),
            Err(e) => Err(Refusal::Host(format!(
                "the call cannot be counted against its budgets: {e}"
            ))),
        }
    }

    /// The budgets a call falls under, each as the limit the shared state
    /// checks.
    fn limits(&self, c: &Spend<'_>) -> Vec<(&Budget, UseLimit)> {
        self.config
            .budgets
            .iter()
            .filter_map(|b| {
                let scope = match (b.per, &b.only) {
                    (BudgetPer::Task, _) => UsageScope::Task(c.task.to_owned()),
                    (BudgetPer::Agent, Some(a)) if a != c.agent => return None,
                    (BudgetPer::Agent, _) => UsageScope::Agent(c.agent.to_owned()),
                    (BudgetPer::Tool, Some(t)) if t != c.tool => return None,
                    (BudgetPer::Tool, _) => UsageScope::Tool(c.tool.to_owned()),
                };
                let since_ms = b.window.map_or(0, |w| {
                    c.now_ms - i64::try_from(w.as_millis()).unwrap_or(i64::MAX / 2)
                });
                Some((
                    b,
                    UseLimit {
                        scope,
                        since_ms,
                        calls: b.calls,
                        high_impact_calls: b.high_impact_calls,
                        output: b.output,
                    },
                ))
            })
            .collect()
    }
}

/// The refusal of a call over budget `b`.
fn refusal(b: &Budget, limit: &UseLimit, used: &Usage, high: bool) -> Refusal {
    let why = exceeded(b, used, high).unwrap_or_else(|| "used up".into());
    Refusal::Budget {
        budget: b.name.clone(),
        why: format!("{why} {}", over(b, &limit.scope)),
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
