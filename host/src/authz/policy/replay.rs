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
    /// Calls decided again under each release's rules (version → calls);
    /// version 0: calls that name no release (today's rules).
    pub by_release: std::collections::BTreeMap<u64, u64>,
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

/// The candidate policies, built once per release of the rules the calls
/// were made under (its agents and plugins), and once with today's for
/// calls that name no release.
#[derive(Debug)]
pub struct ReplayEngines {
    /// By release digest.
    pub by_release: std::collections::HashMap<String, (u64, PolicyEngine)>,
    /// For calls that name no release (or whose release is not archived).
    pub today: PolicyEngine,
}

impl ReplayEngines {
    fn for_record(&self, d: &crate::audit::event::CallDecided) -> (u64, &PolicyEngine) {
        d.who
            .release
            .as_ref()
            .and_then(|r| self.by_release.get(&r.digest))
            .map_or((0, &self.today), |(v, e)| (*v, e))
    }
}

/// Decide the calls of `records` again under the candidate: each under the
/// agents and plugins of the release it was made under.
pub fn replay(records: &[Record], engines: &ReplayEngines) -> ReplayReport {
    let mut report = ReplayReport::default();
    // What had happened in each task by each record, as it happened.
    let mut histories: std::collections::HashMap<String, TaskHistory> =
        std::collections::HashMap::new();
    // The scopes of each task token the records issued or exchanged.
    let mut scopes: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    for r in records {
        let wanted = matches!(r.kind.as_str(), "token.issued" | "token.exchanged")
            || crate::audit::event::is_decision_kind(&r.kind)
            || crate::audit::event::is_end_kind(&r.kind);
        let event = if wanted { r.event() } else { None };
        match &event {
            Some(Event::TokenIssued(t)) => {
                scopes.insert(t.token_id.clone(), t.tools.clone());
            }
            Some(Event::TokenExchanged(t)) => {
                scopes.insert(t.token_id.clone(), t.tools.clone());
            }
            _ => {}
        }
        // The decision is replayed on the history before it, then its
        // outcome joins the history.
        'decision: {
            let Some(d) = event.as_ref().and_then(Event::decided) else {
                break 'decision;
            };
            let Some(was) = recorded(d.decision.result, &d.decision.layer) else {
                break 'decision;
            };
            let w = &d.who;
            let (Some(args), Some(agent), Some(tool), Some(plugin)) =
                (&d.args, &w.agent, &w.tool, &w.plugin)
            else {
                report.skipped += 1;
                break 'decision;
            };
            // A format 9 record is written when the call ended: it was
            // decided its duration earlier.
            let took = event
                .as_ref()
                .and_then(Event::ended)
                .map_or(0, |(_, c)| i64::try_from(c.duration_ms).unwrap_or(i64::MAX));
            let now = DateTime::parse_from_rfc3339(&r.time).map_or_else(
                |_| Utc::now(),
                |t| t.with_timezone(&Utc) - chrono::Duration::milliseconds(took),
            );
            let empty = TaskHistory::default();
            let history = w
                .task
                .as_deref()
                .and_then(|t| histories.get(t))
                .unwrap_or(&empty);
            let (version, candidate) = engines.for_record(d);
            *report.by_release.entry(version).or_default() += 1;
            let decision = candidate.decide(&PolicyInput {
                agent,
                plugin,
                tool,
                task: w.task.as_deref().unwrap_or_default(),
                impact: w.impact.map_or("read", |i| i.as_str()),
                action_owner: w.action_owner.as_deref().unwrap_or_default(),
                token_id: w.token_id.as_deref().unwrap_or_default(),
                scopes: w
                    .token_id
                    .as_deref()
                    .and_then(|t| scopes.get(t))
                    .map_or(&[], Vec::as_slice),
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
        if let Some((who, c)) = event.as_ref().and_then(Event::ended)
            && !matches!(c.outcome.as_str(), "refused" | "held")
            && let (Some(task), Some(tool)) = (&who.task, &who.tool)
        {
            let h = histories.entry(task.clone()).or_default();
            h.calls += 1;
            if who.impact == Some(crate::vocab::Impact::High) {
                h.high_impact_calls += 1;
            }
            if c.outcome == "ok" {
                h.succeeded.insert(tool.clone());
            }
            h.tools.insert(tool.clone());
        }
    }
    report
}

/// The engines for replaying `records` under `candidate` policy files: one
/// per release the calls name (its agents, and its plugins' manifests, read
/// from the archive beside the chain in `audit_dir`), and `today`'s.
///
/// # Errors
///
/// When the candidate does not load against a release's rules.
pub fn engines_for(
    records: &[Record],
    candidate: &[std::path::PathBuf],
    today: PolicyEngine,
    audit_dir: &std::path::Path,
) -> Result<ReplayEngines, crate::authz::PolicyError> {
    use crate::config::{ConfigFile, RuleFiles, operators_and_agents};
    let mut by_release = std::collections::HashMap::new();
    let archive = crate::audit::ReleaseArchive::existing(audit_dir).ok();
    for r in records
        .iter()
        .filter(|r| crate::audit::event::is_decision_kind(&r.kind))
    {
        let Some(event) = r.event() else {
            continue;
        };
        let Some(d) = event.decided() else {
            continue;
        };
        let (Some(rel), Some(archive)) = (&d.who.release, &archive) else {
            continue;
        };
        if by_release.contains_key(&rel.digest) {
            continue;
        }
        let Some(release) = archive
            .release(&rel.digest)
            .ok()
            .and_then(|doc| crate::governance::Release::parse(&doc).ok())
        else {
            continue;
        };
        let files = RuleFiles::Pinned {
            pins: release.files.clone(),
            archive: archive.files_dir(),
        };
        let Ok((_, agents)) = operators_and_agents(
            &release.rules.apply_to(ConfigFile::default()),
            std::path::Path::new("release.toml"),
            &files,
        ) else {
            continue;
        };
        let manifests: Vec<_> = release
            .rules
            .plugins
            .iter()
            .filter_map(|p| release.files.get(&p.manifest))
            .filter_map(|digest| archive.file(digest).ok())
            .filter_map(|bytes| String::from_utf8(bytes).ok())
            .filter_map(|text| crate::manifest::Manifest::parse(&text).ok())
            .collect();
        let view = crate::registry::PolicyView::of_manifests(&manifests);
        let engine = PolicyEngine::load(candidate, &agents, &view)?;
        by_release.insert(rel.digest.clone(), (release.version, engine));
    }
    Ok(ReplayEngines { by_release, today })
}
