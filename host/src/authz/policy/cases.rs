//! Policy test cases: "this call should be allowed (by these policies),
//! that one denied, this one held for approval" — in TOML files next to the
//! policies, run against the live policy set and schema by `warrant policy
//! test`.
//!
//! ```toml
//! [[case]]
//! name = "case notes outside an incident are refused"
//! agent = "triage-bot"
//! tool = "case-note.append"
//! task = "chore-17"
//! args = { case_id = "INC-2026-0042", note = "tidy up" }
//! expect = "deny"                          # allow | deny | needs-approval
//! policies = ["case-note-only-for-incidents"]   # optional: exactly these decide
//! ```

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::authz::policy::{PolicyDecision, PolicyEngine, PolicyError, PolicyInput};

/// One case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyCase {
    /// What it checks, in words.
    pub name: String,
    /// The agent.
    pub agent: String,
    /// `plugin.tool`.
    pub tool: String,
    /// The task (default `INC-0000-0000`).
    #[serde(default = "default_task")]
    pub task: String,
    /// The arguments.
    #[serde(default = "empty_args")]
    pub args: toml::Value,
    /// The tool's impact (default: from its signed manifest).
    pub impact: Option<String>,
    /// The tool's action owner (default: from its signed manifest).
    pub action_owner: Option<String>,
    /// When the call happens (RFC 3339; default now).
    pub at: Option<String>,
    /// `allow`, `deny` or `needs-approval`.
    pub expect: String,
    /// The ids of the policies that must decide it, exactly.
    pub policies: Option<Vec<String>>,
    /// What already happened in the task.
    #[serde(default)]
    pub history: CaseHistory,
    /// Step-up scopes the call's token carries (besides the tool itself).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The file it came from (filled in when read).
    #[serde(skip)]
    pub file: PathBuf,
}

impl PolicyCase {
    /// A call of `tool` by `agent` with no arguments and no history, in a
    /// task — what the policies decide for it in general (a probe of the
    /// rules, as `warrant assure` makes).
    pub fn probe(agent: &str, tool: &str) -> Self {
        Self {
            name: format!("{agent} calls {tool}"),
            agent: agent.to_owned(),
            tool: tool.to_owned(),
            task: default_task(),
            args: empty_args(),
            impact: None,
            action_owner: None,
            at: None,
            expect: "allow".into(),
            policies: None,
            history: CaseHistory::default(),
            scopes: Vec::new(),
            file: PathBuf::new(),
        }
    }
}

/// `history = { tools = [...], succeeded = [...], calls = N, high-impact-calls = N }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CaseHistory {
    /// Tools called in the task.
    #[serde(default)]
    pub tools: Vec<String>,
    /// Tools whose call succeeded (also counted as called).
    #[serde(default)]
    pub succeeded: Vec<String>,
    /// Calls made (default: the tools listed).
    pub calls: Option<u64>,
    /// High-impact calls made.
    #[serde(default)]
    pub high_impact_calls: u64,
}

impl CaseHistory {
    fn history(&self) -> crate::state::TaskHistory {
        let mut h = crate::state::TaskHistory::default();
        h.tools
            .extend(self.tools.iter().chain(&self.succeeded).cloned());
        h.succeeded.extend(self.succeeded.iter().cloned());
        h.calls = self.calls.unwrap_or(h.tools.len() as u64);
        h.high_impact_calls = self.high_impact_calls;
        h
    }
}

fn default_task() -> String {
    "INC-0000-0000".into()
}

fn empty_args() -> toml::Value {
    toml::Value::Table(toml::map::Map::new())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    #[serde(default)]
    case: Vec<PolicyCase>,
}

/// What a case found.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    /// The case.
    pub case: PolicyCase,
    /// The decision.
    pub decision: PolicyDecision,
    /// Why it failed, if it did.
    pub failure: Option<String>,
}

/// Read case files.
///
/// # Ambient Authority
///
/// Reads `files`, which the operator's config or command line names.
///
/// # Errors
///
/// [`PolicyError::Read`] or [`PolicyError::Parse`] naming the file.
pub fn read_cases(files: &[PathBuf]) -> Result<Vec<PolicyCase>, PolicyError> {
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::Read {
            path: path.clone(),
            why: e.to_string(),
        })?;
        let file: CaseFile = toml::from_str(&text).map_err(|e| PolicyError::Parse {
            path: path.clone(),
            line: e.span().map_or(0, |s| {
                text[..s.start.min(text.len())].lines().count().max(1)
            }),
            why: e.message().to_owned(),
        })?;
        for mut c in file.case {
            if !["allow", "deny", "needs-approval"].contains(&c.expect.as_str()) {
                return Err(PolicyError::Parse {
                    path: path.clone(),
                    line: 0,
                    why: format!(
                        "case {:?}: expect must be allow, deny or needs-approval, not {:?}",
                        c.name, c.expect
                    ),
                });
            }
            c.file.clone_from(path);
            out.push(c);
        }
    }
    Ok(out)
}

/// What a decision is called in a case file.
pub fn decision_name(d: &PolicyDecision) -> &'static str {
    match d {
        PolicyDecision::Allow { .. } => "allow",
        PolicyDecision::Deny { .. } => "deny",
        PolicyDecision::NeedsApproval { .. } => "needs-approval",
    }
}

/// The ids of the policies that decided.
pub fn deciding(d: &PolicyDecision) -> &[String] {
    match d {
        PolicyDecision::Allow { policies }
        | PolicyDecision::Deny { policies, .. }
        | PolicyDecision::NeedsApproval { policies } => policies,
    }
}

impl PolicyEngine {
    /// Run `case`; `tool_facts` gives a tool's impact and action owner
    /// from its signed manifest.
    pub fn run_case(
        &self,
        case: &PolicyCase,
        tool_facts: &dyn Fn(&str) -> Option<(String, String)>,
    ) -> CaseOutcome {
        let fail = |why: String| CaseOutcome {
            case: case.clone(),
            decision: PolicyDecision::Deny {
                policies: Vec::new(),
                reason: why.clone(),
            },
            failure: Some(why),
        };
        let Some((plugin, _)) = case.tool.split_once('.') else {
            return fail(format!("tool {:?} is not plugin.tool", case.tool));
        };
        let facts = tool_facts(&case.tool);
        let (impact, owner) = match (&case.impact, &case.action_owner, facts) {
            (Some(i), Some(o), _) => (i.clone(), o.clone()),
            (i, o, Some((fi, fo))) => (i.clone().unwrap_or(fi), o.clone().unwrap_or(fo)),
            (_, _, None) => {
                return fail(format!(
                    "no loaded plugin offers {} (give impact and action_owner to test it anyway)",
                    case.tool
                ));
            }
        };
        let now = match &case.at {
            Some(t) => match DateTime::parse_from_rfc3339(t) {
                Ok(t) => t.with_timezone(&Utc),
                Err(e) => return fail(format!("at = {t:?} is not RFC 3339: {e}")),
            },
            None => Utc::now(),
        };
        let args = serde_json::to_value(&case.args).unwrap_or_default();
        let history = case.history.history();
        let scopes: Vec<String> = std::iter::once(case.tool.clone())
            .chain(case.scopes.iter().cloned())
            .collect();
        let decision = self.decide(&PolicyInput {
            agent: &case.agent,
            plugin,
            tool: &case.tool,
            task: &case.task,
            impact: &impact,
            action_owner: &owner,
            token_id: "tok-policy-test",
            scopes: &scopes,
            args: &args,
            now,
            history: &history,
        });
        let mut failure = None;
        if decision_name(&decision) != case.expect {
            failure = Some(format!(
                "expected {}, got {}",
                case.expect,
                describe(&decision)
            ));
        } else if let Some(want) = &case.policies {
            let mut want = want.clone();
            want.sort();
            if deciding(&decision) != want.as_slice() {
                failure = Some(format!(
                    "expected {} by {}, got it by {}",
                    case.expect,
                    if want.is_empty() {
                        "no policy".into()
                    } else {
                        want.join(", ")
                    },
                    if deciding(&decision).is_empty() {
                        "no policy".into()
                    } else {
                        deciding(&decision).join(", ")
                    }
                ));
            }
        }
        CaseOutcome {
            case: case.clone(),
            decision,
            failure,
        }
    }
}

/// A decision in words, with its policies.
pub fn describe(d: &PolicyDecision) -> String {
    let by = deciding(d);
    let by = if by.is_empty() {
        "no policy".to_owned()
    } else {
        by.join(", ")
    };
    match d {
        PolicyDecision::Deny { reason, .. } => format!("deny by {by} ({reason})"),
        other => format!("{} by {by}", decision_name(other)),
    }
}
