//! The tally on small synthetic chains of real records (sealed as the
//! writer seals them, at chosen times).

use std::io::Write as _;

use chrono::{Duration, SecondsFormat, Utc};

use super::*;
use crate::audit::event::{
    Attribution, CallDecided, ConfigReloaded, Decision, DecisionResult, OperatorAction,
};
use crate::audit::record::GENESIS;

/// The time the records of a test are written relative to, fixed so that
/// a minute turning during the test moves nothing.
fn now() -> DateTime<Utc> {
    static NOW: std::sync::OnceLock<DateTime<Utc>> = std::sync::OnceLock::new();
    *NOW.get_or_init(Utc::now)
}

/// A chain being written by hand.
struct Chain {
    path: PathBuf,
    seq: u64,
    prev: String,
    _dir: tempfile::TempDir,
}

impl Chain {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            path: dir.path().join("audit.jsonl"),
            seq: 0,
            prev: GENESIS.to_owned(),
            _dir: dir,
        }
    }

    /// Append `e` as written `ago` before `NOW`; returns the line's
    /// offset.
    fn push(&mut self, ago: Duration, e: &Event) -> u64 {
        self.seq += 1;
        let time = (now() - ago).to_rfc3339_opts(SecondsFormat::Millis, true);
        let r = Record::seal(self.seq, &time, None, &self.prev, e, b"key");
        self.prev.clone_from(&r.hash);
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .unwrap();
        let at = f.metadata().unwrap().len();
        writeln!(f, "{}", r.line()).unwrap();
        at
    }
}

fn call(
    agent: Option<&str>,
    tool: &str,
    plugin: bool,
    result: DecisionResult,
    layer: &str,
) -> Event {
    Event::CallDecided(Box::new(CallDecided {
        who: Attribution {
            agent: agent.map(str::to_owned),
            tool: Some(tool.to_owned()),
            plugin: plugin.then(|| tool.split('.').next().unwrap_or(tool).to_owned()),
            ..Attribution::default()
        },
        input_digest: "sha256:00".into(),
        input_size: 2,
        args: None,
        prompt: None,
        context: None,
        decision: Decision {
            result,
            layer: layer.into(),
            policies: vec![],
            reason: String::new(),
        },
        approval: None,
        approval_id: None,
        degraded: None,
    }))
}

fn allow(agent: &str, tool: &str) -> Event {
    call(Some(agent), tool, true, DecisionResult::Allow, "policy")
}

fn deny(agent: &str, tool: &str, layer: &str) -> Event {
    call(Some(agent), tool, true, DecisionResult::Deny, layer)
}

fn halt() -> Event {
    Event::HostHalted(OperatorAction {
        agent: None,
        plugin: None,
        token_id: None,
        by: "carol".into(),
        reason: "drill".into(),
        changed: true,
        signed: None,
        release: None,
    })
}

fn other() -> Event {
    Event::ConfigReloaded(ConfigReloaded {
        trigger: "operator".into(),
        by: None,
        loaded: vec![],
        unloaded: vec![],
        cancelled_calls: 0,
        applied: true,
        error: None,
    })
}

fn min(n: i64) -> Duration {
    Duration::minutes(n)
}

#[test]
fn calls_are_counted_by_decision_layer_agent_and_tool_and_stops_by_action() {
    let mut c = Chain::new();
    c.push(Duration::hours(30), &allow("old-bot", "ioc.extract"));
    c.push(Duration::hours(3), &deny("bot-a", "ioc.extract", "rate"));
    for _ in 0..3 {
        c.push(min(5), &allow("bot-a", "ioc.extract"));
    }
    c.push(
        min(5),
        &call(
            Some("bot-a"),
            "note.append",
            true,
            DecisionResult::Held,
            "approval",
        ),
    );
    c.push(
        min(4),
        &call(
            Some("bot-a"),
            "note.append",
            true,
            DecisionResult::AllowWithApproval,
            "approval",
        ),
    );
    c.push(min(3), &deny("bot-b", "note.append", "scope"));
    c.push(min(2), &deny("bot-b", "note.append", "policy"));
    c.push(min(2), &deny("bot-b", "note.append", "policy"));
    // Refused before its token or tool was known: no agent, no plugin.
    c.push(
        min(1),
        &call(None, "nope.zzz", false, DecisionResult::Deny, "token"),
    );
    c.push(min(1), &halt());
    c.push(min(1), &other());
    let t = Tally::new(c.path.clone());
    t.refresh().unwrap();

    let hour = t.overview(now(), 60, 1, 8);
    assert_eq!(hour.bins.len(), 60);
    assert_eq!(hour.bin_minutes, 1);
    let want = Split {
        allowed: 3,
        approved: 1,
        held: 1,
        refused: 4,
    };
    assert_eq!(hour.calls, want);
    assert_eq!(
        hour.bins.iter().map(|b| b.1.total()).sum::<u64>(),
        want.total()
    );
    assert_eq!(hour.bins[54].1.allowed, 3, "five minutes ago");
    assert_eq!(
        hour.refused,
        [
            ("policy".into(), 2),
            ("scope".into(), 1),
            ("token".into(), 1)
        ]
    );
    assert_eq!(hour.agents[0].0, "bot-a");
    assert_eq!(hour.agents[0].1.total(), 5);
    assert_eq!(hour.agents[1].1.refused, 3);
    assert_eq!(
        hour.agents.len(),
        2,
        "the refused call of no agent is not an agent's"
    );
    let tools: Vec<(&str, u64)> = hour
        .tools
        .iter()
        .map(|(k, v)| (k.as_str(), v.total()))
        .collect();
    assert_eq!(
        tools,
        [("note.append", 5), ("ioc.extract", 3), (UNVERIFIED, 1)]
    );
    assert_eq!(hour.stops, [("halt".into(), 1)]);
    assert!(hour.covered_from.is_none());

    let day = t.overview(now(), WINDOW_MINUTES, 15, 8);
    assert_eq!(day.bins.len(), 96);
    assert!(
        day.bins.iter().all(|b| b.0.timestamp() % (15 * 60) == 0),
        "quarter hours"
    );
    assert!(
        day.since > now() - Duration::hours(24)
            && day.since <= now() - Duration::hours(23) - min(45)
    );
    assert_eq!(day.calls.refused, 5, "the rate refusal three hours ago");
    assert!(
        day.agents.iter().all(|(a, _)| a != "old-bot"),
        "30 h ago is out"
    );

    // The totals begin with the tally: what was there at its first
    // refresh is in the window, not in the totals.
    let totals = t.totals();
    assert!(totals.calls.is_empty() && totals.stops.is_empty());
    assert!(totals.began.is_some());
    c.push(min(0), &deny("bot-b", "note.append", "policy"));
    c.push(
        min(0),
        &call(None, "nope.zzz", false, DecisionResult::Deny, "token"),
    );
    c.push(min(0), &halt());
    t.refresh().unwrap();
    let totals = t.totals();
    let key = |plugin: &str, tool: &str, layer: &str| CallKey {
        plugin: plugin.into(),
        tool: tool.into(),
        decision: DecisionResult::Deny,
        layer: layer.into(),
    };
    assert_eq!(totals.calls.len(), 2);
    assert_eq!(totals.calls[&key("note", "note.append", "policy")], 1);
    assert_eq!(totals.calls[&key("", UNVERIFIED, "token")], 1);
    assert_eq!(totals.stops["halt"], 1);
    assert_eq!(t.overview(now(), 60, 1, 8).calls.refused, 6);
}

#[test]
fn the_first_refresh_reads_back_only_to_the_start_of_the_day() {
    let mut c = Chain::new();
    for i in 0..2000 {
        c.push(
            Duration::hours(48) - min(i % 60),
            &allow("old-bot", "ioc.extract"),
        );
    }
    let first = c.push(Duration::hours(23), &deny("bot-a", "ioc.extract", "policy"));
    c.push(min(10), &allow("bot-a", "ioc.extract"));
    let t = Tally::new(c.path.clone());
    t.refresh().unwrap();
    assert_eq!(
        t.start(),
        first,
        "counting began at the first line of the day"
    );
    let day = t.overview(now(), WINDOW_MINUTES, 15, 8);
    assert_eq!((day.calls.allowed, day.calls.refused), (1, 1));
    assert!(day.covered_from.is_none());
}

#[test]
fn the_read_back_stops_at_its_cap_and_says_how_far_it_reached() {
    let mut c = Chain::new();
    for i in 0..600 {
        c.push(min(600 - i), &allow("bot-a", "ioc.extract"));
    }
    // One chunk back: a fraction of the 600 records.
    let t = Tally::with_read_back(c.path.clone(), 1);
    t.refresh().unwrap();
    let day = t.overview(now(), WINDOW_MINUTES, 15, 8);
    assert!(t.start() > 0);
    assert!(
        day.calls.allowed > 10 && day.calls.allowed < 600,
        "{:?}",
        day.calls
    );
    let from = day.covered_from.expect("the cap came first");
    assert!(from > Utc::now() - Duration::hours(10), "{from}");

    // More than the cap appended between two refreshes: skipped, and said.
    let before = std::fs::metadata(&c.path).unwrap().len();
    for _ in 0..1000 {
        c.push(min(0), &allow("bot-a", "ioc.extract"));
    }
    t.refresh().unwrap();
    let totals = t.totals();
    let counted: u64 = totals.calls.values().sum();
    assert!(totals.skipped_bytes > 0 && counted < 1000, "{totals:?}");
    let after = std::fs::metadata(&c.path).unwrap().len();
    assert!(totals.skipped_bytes < after - before);
}

#[test]
fn maps_are_bounded_and_a_replaced_log_is_tallied_again() {
    let mut c = Chain::new();
    for i in 0..100 {
        c.push(min(1), &allow(&format!("bot-{i:03}"), "ioc.extract"));
    }
    let t = Tally::new(c.path.clone());
    t.refresh().unwrap();
    let hour = t.overview(now(), 60, 1, 100);
    assert_eq!(hour.agents.len(), 65, "64 names and (other)");
    assert_eq!(
        hour.agents[0],
        (
            OTHER.to_owned(),
            Split {
                allowed: 36,
                ..Split::default()
            }
        )
    );
    assert_eq!(hour.calls.allowed, 100);

    // A shorter log: counted again from scratch.
    std::fs::remove_file(&c.path).unwrap();
    let mut c2 = Chain::new();
    c2.path.clone_from(&c.path);
    c2.push(min(1), &deny("bot-z", "ioc.extract", "scope"));
    t.refresh().unwrap();
    let hour = t.overview(now(), 60, 1, 8);
    assert_eq!((hour.calls.allowed, hour.calls.refused), (0, 1));
}
