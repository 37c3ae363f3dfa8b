//! What the tally counts: calls by decision, per minute and in total, with
//! every map bounded.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::audit::event::{CallDecided, DecisionResult};

/// Distinct names (agents, tools, layers) kept per minute; further ones are
/// counted under [`OTHER`].
const NAMES: usize = 64;

/// Distinct keys kept in the totals; further ones are counted under
/// [`OTHER`].
const KEYS: usize = 4096;

/// The name counts are kept under once a map holds as many names as it
/// may.
pub const OTHER: &str = "(other)";

/// The tool name the calls of a caller whose token did not verify are
/// counted under (the name such a caller asked for is not kept).
pub const UNVERIFIED: &str = "(unverified caller)";

/// Calls by decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Split {
    /// Allowed (`allow`).
    pub allowed: u64,
    /// Allowed with a human's approval (`allow-with-approval`).
    pub approved: u64,
    /// Held, waiting for a human (`held`).
    pub held: u64,
    /// Refused, by any layer (`deny`).
    pub refused: u64,
}

impl Split {
    /// Every call counted.
    pub fn total(&self) -> u64 {
        self.allowed + self.approved + self.held + self.refused
    }

    fn add(&mut self, r: DecisionResult) {
        match r {
            DecisionResult::Allow => self.allowed += 1,
            DecisionResult::AllowWithApproval => self.approved += 1,
            DecisionResult::Held => self.held += 1,
            DecisionResult::Deny => self.refused += 1,
        }
    }

    fn merge(&mut self, o: &Self) {
        self.allowed += o.allowed;
        self.approved += o.approved;
        self.held += o.held;
        self.refused += o.refused;
    }
}

/// One key of [`CallTotals::calls`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallKey {
    /// The plugin that offers the tool; empty when the call was refused
    /// before a plugin was resolved (its token, scope or grant, an unknown
    /// tool).
    pub plugin: String,
    /// `plugin.tool` as the agent asked for it (capped at 200 bytes);
    /// [`UNVERIFIED`] when the caller's token did not verify.
    pub tool: String,
    /// The decision: `allow`, `allow-with-approval`, `held` or `deny`
    /// ([`DecisionResult::as_str`]).
    pub decision: DecisionResult,
    /// The layer that decided (`policy`, `scope`, `token`, `approval`, …:
    /// `Refusal::layer`; `policy` for an allowed call, `approval` for one
    /// allowed with approval).
    pub layer: String,
}

/// What the tally counted from the moment it began: every call decision
/// and stop button the chain received after the tally's first
/// [`Tally::refresh`](super::Tally::refresh), whoever wrote it (this
/// server, a CLI or another process appending to the same chain). Counts
/// only grow, except when the log is replaced or cut: then the tally
/// starts again from zero (a counter reset).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallTotals {
    /// When the tally began (its first refresh).
    pub began: Option<DateTime<Utc>>,
    /// `call.decided` records by (plugin, tool, decision, layer): one per
    /// call. At most 4096 keys; further ones are counted under plugin and
    /// tool [`OTHER`].
    pub calls: BTreeMap<CallKey, u64>,
    /// Stop buttons and their releases by action: `halt`, `resume`,
    /// `quarantine`, `release`, `revoke`, `disable`, `enable` (one per
    /// record, also when it changed nothing).
    pub stops: BTreeMap<String, u64>,
    /// Bytes of the chain not counted because more than the read-back cap
    /// was appended between two refreshes (the tally then skips ahead).
    pub skipped_bytes: u64,
}

/// What one minute holds.
#[derive(Debug, Clone, Default)]
pub(super) struct Minute {
    calls: Split,
    refused: BTreeMap<String, u64>,
    agents: BTreeMap<String, Split>,
    tools: BTreeMap<String, Split>,
    stops: BTreeMap<&'static str, u64>,
}

/// The entry for `name` in a map of at most `max` names.
fn bounded<'m, V: Default>(m: &'m mut BTreeMap<String, V>, name: &str, max: usize) -> &'m mut V {
    let name = if m.contains_key(name) || m.len() < max {
        name
    } else {
        OTHER
    };
    m.entry(name.to_owned()).or_default()
}

/// The tool a call is counted under: the name asked for once the caller
/// is known (a verified agent, or a resolved plugin), else [`UNVERIFIED`].
fn tool_of(d: &CallDecided) -> &str {
    match (&d.who.agent, &d.who.plugin, &d.who.tool) {
        (Some(_), _, Some(t)) | (_, Some(_), Some(t)) => t,
        _ => UNVERIFIED,
    }
}

impl Minute {
    pub(super) fn call(&mut self, d: &CallDecided) {
        let r = d.decision.result;
        self.calls.add(r);
        if r == DecisionResult::Deny {
            *bounded(&mut self.refused, &d.decision.layer, NAMES) += 1;
        }
        if let Some(a) = &d.who.agent {
            bounded(&mut self.agents, a, NAMES).add(r);
        }
        bounded(&mut self.tools, tool_of(d), NAMES).add(r);
    }

    pub(super) fn stop(&mut self, action: &'static str) {
        *self.stops.entry(action).or_default() += 1;
    }
}

impl CallTotals {
    pub(super) fn call(&mut self, d: &CallDecided) {
        let mut key = CallKey {
            plugin: d.who.plugin.clone().unwrap_or_default(),
            tool: tool_of(d).to_owned(),
            decision: d.decision.result,
            layer: d.decision.layer.clone(),
        };
        if !self.calls.contains_key(&key) && self.calls.len() >= KEYS {
            key.plugin = OTHER.to_owned();
            key.tool = OTHER.to_owned();
            key.layer = OTHER.to_owned();
        }
        *self.calls.entry(key).or_default() += 1;
    }

    pub(super) fn stop(&mut self, action: &'static str) {
        *self.stops.entry(action.to_owned()).or_default() += 1;
    }
}

/// The chain at a glance over a window of minutes up to now.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    /// The start of the window (a minute's start).
    pub since: DateTime<Utc>,
    /// The end of the window (the end of the current minute).
    pub until: DateTime<Utc>,
    /// Minutes per bin of [`Overview::bins`].
    pub bin_minutes: i64,
    /// Calls by decision per bin, oldest first: each bin's start and
    /// counts.
    pub bins: Vec<(DateTime<Utc>, Split)>,
    /// Every call in the window, by decision.
    pub calls: Split,
    /// Refused calls by the layer that refused them, most first.
    pub refused: Vec<(String, u64)>,
    /// The agents with the most calls, most first (calls with no verified
    /// agent are not in it).
    pub agents: Vec<(String, Split)>,
    /// The tools with the most calls, most first.
    pub tools: Vec<(String, Split)>,
    /// Stop buttons and releases pressed, by action, most first.
    pub stops: Vec<(String, u64)>,
    /// When the tally's read-back stopped at its cap before the window's
    /// start: the time of the oldest record it read (the window is
    /// counted from then).
    pub covered_from: Option<DateTime<Utc>>,
}

fn most_first<V>(m: BTreeMap<String, V>, key: impl Fn(&V) -> u64, top: usize) -> Vec<(String, V)> {
    let mut v: Vec<(String, V)> = m.into_iter().collect();
    v.sort_by(|a, b| key(&b.1).cmp(&key(&a.1)).then_with(|| a.0.cmp(&b.0)));
    v.truncate(top);
    v
}

/// The start of minute `m` (minutes since the epoch).
pub(super) fn minute_start(m: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(m.saturating_mul(60), 0).unwrap_or_default()
}

/// The overview of `minutes` over the last `window` minutes up to `now`'s
/// (included), in bins of `bin` minutes, the `top` agents and tools.
pub(super) fn overview<'a>(
    minutes: impl Iterator<Item = (&'a i64, &'a Minute)>,
    now: DateTime<Utc>,
    window: i64,
    bin: i64,
    top: usize,
) -> Overview {
    let bin = bin.max(1);
    let window = window.max(1);
    let last = now.timestamp().div_euclid(60);
    // Bins begin on multiples of `bin` minutes (15: quarter hours); the
    // window then begins at the first such bin inside it.
    let first = (last - window + 1 + bin - 1).div_euclid(bin) * bin;
    let n = (last - first + bin) / bin;
    let mut bins: Vec<(DateTime<Utc>, Split)> = (0..n)
        .map(|i| (minute_start(first + i * bin), Split::default()))
        .collect();
    let mut out = Overview {
        since: minute_start(first),
        until: minute_start(last + 1),
        bin_minutes: bin,
        ..Overview::default()
    };
    let (mut refused, mut agents, mut tools, mut stops) = (
        BTreeMap::<String, u64>::new(),
        BTreeMap::<String, Split>::new(),
        BTreeMap::<String, Split>::new(),
        BTreeMap::<String, u64>::new(),
    );
    for (&m, c) in minutes.filter(|(m, _)| (first..=last).contains(*m)) {
        let i = usize::try_from((m - first) / bin).unwrap_or(0);
        if let Some(b) = bins.get_mut(i) {
            b.1.merge(&c.calls);
        }
        out.calls.merge(&c.calls);
        for (k, v) in &c.refused {
            *refused.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &c.agents {
            agents.entry(k.clone()).or_default().merge(v);
        }
        for (k, v) in &c.tools {
            tools.entry(k.clone()).or_default().merge(v);
        }
        for (k, v) in &c.stops {
            *stops.entry((*k).to_owned()).or_default() += v;
        }
    }
    out.bins = bins;
    out.refused = most_first(refused, |v| *v, usize::MAX);
    out.agents = most_first(agents, Split::total, top);
    out.tools = most_first(tools, Split::total, top);
    out.stops = most_first(stops, |v| *v, usize::MAX);
    out
}
