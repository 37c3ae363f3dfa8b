//! Replaying the chain: every call the live policies decided, decided again
//! by a candidate policy set on the arguments the record kept, and every
//! decision that would change.

use chrono::{DateTime, Utc};

use crate::audit::Record;
use crate::audit::event::{DecisionResult, Event};
use crate::authz::policy::{PolicyEngine, PolicyInput, decision_name, describe};
use crate::state::TaskHistory;

/// One decision that would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayChange {
    /// When the call was made.
    pub time: String,
    /// Its id.
    pub call_id: String,
    /// The agent.
    pub agent: String,
    /// `plugin.tool`.
    pub tool: String,
    /// The task.
    pub task: String,
    /// What was decided: `allow`, `deny` or `needs-approval`.
    pub recorded: String,
    /// What the candidate decides, with its policies.
    pub candidate: String,
    /// The candidate's decision alone (`allow`, `deny`, `needs-approval`).
    pub candidate_kind: String,
}

/// What a replay found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Calls decided again.
    pub replayed: u64,
    /// Calls the policies decided whose arguments the record does not keep.
    pub skipped: u64,
    /// The decisions that would change.
    pub changed: Vec<ReplayChange>,
}

impl ReplayReport {
    /// How many changed from `from` to `to`.
    pub fn count(&self, from: &str, to: &str) -> usize {
        self.changed
            .iter()
            .filter(|c| c.recorded == from && c.candidate_kind == to)
            .count()
    }
}

/// What the live policies decided on a recorded call, when the policy
/// layer decided it.
fn recorded(result: DecisionResult, layer: &str) -> Option<&'static str> {
    match (result, layer) {
        (DecisionResult::Allow, "policy") => Some("allow"),
        (DecisionResult::Deny, "policy") => Some("deny"),
        (DecisionResult::AllowWithApproval | DecisionResult::Held, _)
        | (DecisionResult::Deny, "approval") => Some("needs-approval"),
        _ => None,
    }
}

/// Decide the calls of `records` again under `candidate`.
pub fn replay(records: &[Record], candidate: &PolicyEngine) -> ReplayReport {
    let mut report = ReplayReport::default();
    // What had happened in each task by each record, as it happened.
    let mut histories: std::collections::HashMap<String, TaskHistory> =
        std::collections::HashMap::new();
    for r in records {
        if r.kind == "call.completed"
            && let Some(Event::CallCompleted(c)) = r.event()
            && !matches!(c.outcome.as_str(), "refused" | "held")
            && let (Some(task), Some(tool)) = (&c.who.task, &c.who.tool)
        {
            let h = histories.entry(task.clone()).or_default();
            h.calls += 1;
            if c.who.impact == Some(crate::vocab::Impact::High) {
                h.high_impact_calls += 1;
            }
            if c.outcome == "ok" {
                h.succeeded.insert(tool.clone());
            }
            h.tools.insert(tool.clone());
        }
        if r.kind != "call.decided" {
            continue;
        }
        let Some(Event::CallDecided(d)) = r.event() else {
            continue;
        };
        let Some(was) = recorded(d.decision.result, &d.decision.layer) else {
            continue;
        };
        let w = &d.who;
        let (Some(args), Some(agent), Some(tool), Some(plugin)) =
            (&d.args, &w.agent, &w.tool, &w.plugin)
        else {
            report.skipped += 1;
            continue;
        };
        let now = DateTime::parse_from_rfc3339(&r.time)
            .map_or_else(|_| Utc::now(), |t| t.with_timezone(&Utc));
        let empty = TaskHistory::default();
        let history = w
            .task
            .as_deref()
            .and_then(|t| histories.get(t))
            .unwrap_or(&empty);
        let decision = candidate.decide(&PolicyInput {
            agent,
            plugin,
            tool,
            task: w.task.as_deref().unwrap_or_default(),
            impact: w.impact.map_or("read", |i| i.as_str()),
            action_owner: w.action_owner.as_deref().unwrap_or_default(),
            token_id: w.token_id.as_deref().unwrap_or_default(),
            args,
            now,
            history,
        });
        report.replayed += 1;
        let now_kind = decision_name(&decision);
        if now_kind != was {
            report.changed.push(ReplayChange {
                time: r.time.clone(),
                call_id: w.call_id.clone().unwrap_or_default(),
                agent: agent.clone(),
                tool: tool.clone(),
                task: w.task.clone().unwrap_or_default(),
                recorded: was.to_owned(),
                candidate: describe(&decision),
                candidate_kind: now_kind.to_owned(),
            });
        }
    }
    report
}
