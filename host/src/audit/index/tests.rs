//! The index against the chain it indexes: every lookup gives what a scan
//! of the chain gives, appended records included; an index rebuilt from
//! the chain equals one kept up to date as it grew; a chain replaced under
//! the index is indexed anew.

use serde_json::Value;

use super::*;
use crate::audit::event::Event;
use crate::audit::{AuditKeys, AuditLog, AuditOptions, AuditPaths, read_records};
use crate::statedir::StateDir;

/// A golden record's kind and data, to append with changes.
fn golden(version: u32, kind: &str) -> Value {
    let path = format!(
        "{}/../tests/golden/audit/v{version}/{kind}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let r: Record = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    r.data
}

/// The `i`th record of a chain of three tasks, two agents, tokens,
/// approvals and stop buttons.
fn event(i: u64) -> Event {
    let (kind, mut data) = match i % 7 {
        0 => ("token.issued", golden(8, "token.issued")),
        3 => ("approval.requested", golden(8, "approval.requested")),
        5 => ("agent.quarantined", golden(8, "agent.quarantined")),
        _ => ("call", golden(9, "call")),
    };
    let o = data.as_object_mut().unwrap();
    let agent = if i.is_multiple_of(2) {
        "triage-bot"
    } else {
        "hunt-bot"
    };
    for (k, v) in [
        ("task", format!("INC-{}", i % 3)),
        ("agent", agent.to_owned()),
        ("call_id", format!("call-{i}")),
        ("approval_id", format!("apr-{}", i / 2)),
        ("token_id", format!("tok-{i}")),
    ] {
        if o.contains_key(k) {
            o.insert(k.into(), Value::String(v));
        }
    }
    Event::from_parts(kind, &data).unwrap()
}

fn chain(dir: &Path) -> (AuditLog, AuditPaths) {
    let keys = AuditKeys::load_or_create(&StateDir::create(&dir.join("state")).unwrap()).unwrap();
    let opts = AuditOptions {
        reserve: 64 * 1024,
        ..AuditOptions::default()
    };
    let log = AuditLog::open(&dir.join("audit"), keys, opts).unwrap();
    let paths = log.paths().clone();
    (log, paths)
}

fn append(log: &AuditLog, range: std::ops::Range<u64>) {
    for i in range {
        log.append_blocking(&event(i), false).unwrap();
    }
}

/// Every lookup, by the index and by reading the whole chain.
fn lookups_agree(index: &AuditIndex, log: &Path) {
    let all = read_records(log, &Filter::default()).unwrap();
    let by = |keep: &dyn Fn(&Event) -> bool| -> Vec<Record> {
        all.iter()
            .filter(|r| r.event().is_some_and(|e| keep(&e)))
            .cloned()
            .collect()
    };
    for t in ["INC-0", "INC-1", "INC-2", "INC-9"] {
        let want = by(&|e| e.task() == Some(t));
        assert_eq!(index.records_of_task(t).unwrap(), want, "task {t}");
    }
    for c in ["call-1", "call-8", "call-40", "call-404"] {
        let want = by(&|e| e.call_id() == Some(c));
        assert_eq!(index.records_of(c).unwrap(), want, "call {c}");
    }
    let want = by(&|e| matches!(e, Event::TokenIssued(_) | Event::TokenExchanged(_)));
    assert!(!want.is_empty());
    assert_eq!(index.token_records().unwrap(), want);
    let want = by(&|e| crate::audit::tally::is_stop(e));
    assert!(!want.is_empty());
    assert_eq!(index.stop_records().unwrap(), want);
    let requested = by(&|e| matches!(e, Event::ApprovalRequested(_)));
    let Some(Event::ApprovalRequested(a)) = requested[requested.len() / 2].event() else {
        panic!("a request");
    };
    let want = by(&|e| {
        matches!(e, Event::ApprovalRequested(r) if r.approval_id == a.approval_id)
            || e.decided()
                .is_some_and(|d| d.approval_id.as_ref() == Some(&a.approval_id))
    });
    assert!(want.len() >= 2, "the request and the call it held");
    assert_eq!(index.records_of_approval(&a.approval_id).unwrap(), want);
    let since = chrono::DateTime::parse_from_rfc3339(&all[all.len() / 2].time)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let f = Filter {
        agent: Some("hunt-bot".into()),
        since: Some(since),
        ..Filter::default()
    };
    let want: Vec<Record> = all.iter().filter(|r| f.matches(r)).cloned().collect();
    assert!(!want.is_empty());
    assert_eq!(index.records(&f).unwrap(), want);
}

#[test]
fn every_lookup_gives_what_the_chain_gives_appended_records_included() {
    let dir = tempfile::tempdir().unwrap();
    let (log, paths) = chain(dir.path());
    let index = AuditIndex::beside(&paths.log);
    assert!(index.is_persistent());
    append(&log, 0..40);
    lookups_agree(&index, &paths.log);
    // Appended after the index's last update: read from the chain's tail
    // by a follower's reader, which does not update the index itself.
    let followed = Arc::new(AuditIndex::beside(&paths.log));
    followed.followed.store(true, Ordering::Relaxed);
    append(&log, 40..60);
    lookups_agree(&followed, &paths.log);
    lookups_agree(&index, &paths.log);
    // A reader without the database reads the chain.
    let scan = AuditIndex {
        log: paths.log.clone(),
        path: dir.path().join("none"),
        conn: None,
        followed: AtomicBool::new(false),
    };
    lookups_agree(&scan, &paths.log);
}

#[test]
fn an_index_rebuilt_from_the_chain_equals_the_one_kept_as_it_grew() {
    let dir = tempfile::tempdir().unwrap();
    let (log, paths) = chain(dir.path());
    let live = AuditIndex::beside(&paths.log);
    for round in 0..5 {
        append(&log, round * 13..(round + 1) * 13);
        live.catch_up().unwrap();
    }
    let rebuilt = AuditIndex::at(&paths.log, &dir.path().join("rebuilt.sqlite")).unwrap();
    let mut batches = Vec::new();
    assert_eq!(rebuilt.reindex(&mut |n| batches.push(n)).unwrap(), 65);
    assert_eq!(batches, vec![65]);
    assert_eq!(live.digest().unwrap(), rebuilt.digest().unwrap());
    // One record more in one of them: they differ.
    append(&log, 65..66);
    live.catch_up().unwrap();
    assert_ne!(live.digest().unwrap(), rebuilt.digest().unwrap());
    // Rebuilding the live one in place gives the same again.
    assert_eq!(rebuilt.catch_up().unwrap(), 1);
    let before = live.digest().unwrap();
    assert_eq!(live.reindex(&mut |_| {}).unwrap(), 66);
    assert_eq!(live.digest().unwrap(), before);
}

#[test]
fn a_chain_replaced_under_the_index_is_indexed_anew() {
    let dir = tempfile::tempdir().unwrap();
    let (log, paths) = chain(dir.path());
    append(&log, 0..30);
    let index = AuditIndex::beside(&paths.log);
    assert_eq!(index.catch_up().unwrap(), 30);
    drop(log);
    // Another chain, longer, in its place: what the index points at is
    // not what it indexed.
    let other = tempfile::tempdir().unwrap();
    let (log2, paths2) = chain(other.path());
    append(&log2, 100..140);
    std::fs::copy(&paths2.log, &paths.log).unwrap();
    lookups_agree(&index, &paths.log);
    assert!(index.records_of("call-1").unwrap().is_empty());
    assert_eq!(index.records_of("call-102").unwrap().len(), 1);
    // Cut shorter than what was indexed: the same.
    std::fs::write(&paths.log, b"").unwrap();
    assert!(index.records_of_task("INC-1").unwrap().is_empty());
    assert_eq!(index.catch_up().unwrap(), 0);
}
