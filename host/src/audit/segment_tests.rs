//! The chain in segments: sealed under concurrent writers (of one process
//! and of two), read and verified across them, continued after a crash in
//! the middle of sealing one; an edit in a sealed segment, a segment
//! removed from the middle and one moved away are caught.

use std::path::Path;
use std::sync::Arc;

use super::event::ConfigReloaded;
use super::*;
use crate::statedir::StateDir;

fn event(i: u64) -> Event {
    Event::ConfigReloaded(ConfigReloaded {
        trigger: "operator".into(),
        by: Some(format!("op-{i}")),
        loaded: vec![format!("plugin-{i}"); 8],
        unloaded: vec![],
        cancelled_calls: 0,
        applied: true,
        error: None,
    })
}

fn keys(dir: &Path) -> AuditKeys {
    AuditKeys::load_or_create(&StateDir::create(&dir.join("state")).unwrap()).unwrap()
}

/// A chain sealed every 2 KiB (at the checkpoint after every 3 records).
fn open(dir: &Path, k: &AuditKeys) -> AuditLog {
    let opts = AuditOptions {
        every: 3,
        interval: std::time::Duration::from_secs(60),
        reserve: 64 * 1024,
        segment_bytes: 2048,
        ..AuditOptions::default()
    };
    AuditLog::open(&dir.join("audit"), k.clone(), opts).unwrap()
}

fn verify(dir: &Path, k: &AuditKeys) -> Result<ChainSummary, ChainFault> {
    let paths = AuditPaths::in_dir(&dir.join("audit"));
    let keys = VerifyKeys {
        mac: Some(k.mac.clone()),
        checkpoint: Some(k.checkpoint.verifying_key()),
        ..VerifyKeys::default()
    };
    verify_chain(
        &paths.log,
        &paths.checkpoints,
        &keys,
        &VerifyOptions::default(),
        &mut |_, _| {},
    )
}

fn segments(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir.join("audit/segments"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn seqs(dir: &Path) -> Vec<u64> {
    read_records(&dir.join("audit/audit.jsonl"), &Filter::default())
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect()
}

#[test]
fn concurrent_writers_of_one_and_of_two_processes_seal_segments_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let k = keys(dir.path());
    let log = Arc::new(open(dir.path(), &k));
    // A second writer on the same chain, as a CLI beside a server.
    let other = Arc::new(open(dir.path(), &k));
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let log = Arc::clone(if t % 2 == 0 { &log } else { &other });
            std::thread::spawn(move || {
                for i in 0..40 {
                    log.append_blocking(&event(t * 100 + i), i % 7 == 0)
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    drop(log);
    drop(other);
    let sealed = segments(dir.path());
    assert!(sealed.len() >= 5, "sealed: {sealed:?}");
    assert_eq!(seqs(dir.path()), (1..=160).collect::<Vec<_>>());
    let sum = verify(dir.path(), &k).unwrap();
    assert_eq!(sum.records, 160);
    assert_eq!(sum.macs_checked, 160);
    assert!(sum.notes > 0 && sum.last_checkpoint > 0);
    // Each sealed segment is named by its first record and ends with a
    // checkpointed one.
    let cps: Vec<u64> = read_checkpoints(&dir.path().join("audit/checkpoints.jsonl"))
        .unwrap()
        .iter()
        .map(|c| c.seq)
        .collect();
    let mut next_first = 1;
    for s in &sealed {
        let recs = read_records_of(s);
        assert_eq!(recs.first().unwrap().seq, next_first, "{}", s.display());
        assert_eq!(
            s.file_name().unwrap().to_str().unwrap(),
            segment_name(next_first)
        );
        let last = recs.last().unwrap().seq;
        assert!(cps.contains(&last), "segment ending at {last} checkpointed");
        next_first = last + 1;
    }
    // Reopened, the chain goes on from its end.
    let log = open(dir.path(), &k);
    assert_eq!(log.append_blocking(&event(999), true).unwrap(), 161);
    drop(log);
    assert_eq!(verify(dir.path(), &k).unwrap().records, 161);
}

/// The records of one segment file alone.
fn read_records_of(path: &Path) -> Vec<Record> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_crash_between_sealing_and_the_new_open_segment_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let k = keys(dir.path());
    let log = open(dir.path(), &k);
    for i in 0..10 {
        log.append_blocking(&event(i), true).unwrap();
    }
    drop(log);
    // What a crash right after the rename leaves: the open segment sealed,
    // no new one.
    let audit = dir.path().join("audit");
    let first = seqs(dir.path()).len() as u64
        - read_records_of(&audit.join("audit.jsonl")).len() as u64
        + 1;
    std::fs::rename(
        audit.join("audit.jsonl"),
        audit.join("segments").join(segment_name(first)),
    )
    .unwrap();
    assert_eq!(seqs(dir.path()).len(), 10);
    let log = open(dir.path(), &k);
    assert_eq!(log.append_blocking(&event(10), true).unwrap(), 11);
    drop(log);
    assert_eq!(seqs(dir.path()), (1..=11).collect::<Vec<_>>());
    assert_eq!(verify(dir.path(), &k).unwrap().records, 11);
    // And an empty open segment after a crash: the same.
    let log = open(dir.path(), &k);
    drop(log);
    let sealed_len = segments(dir.path()).len();
    assert!(sealed_len >= 2);
}

#[test]
fn an_edited_sealed_segment_a_removed_one_and_one_moved_away_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    let k = keys(dir.path());
    let log = open(dir.path(), &k);
    for i in 0..60 {
        log.append_blocking(&event(i), false).unwrap();
    }
    drop(log);
    let sealed = segments(dir.path());
    assert!(sealed.len() >= 4, "{sealed:?}");
    verify(dir.path(), &k).unwrap();
    // An edit in a sealed segment.
    let middle = &sealed[1];
    let original = std::fs::read_to_string(middle).unwrap();
    let first = read_records_of(middle)[0].seq;
    std::fs::write(middle, original.replacen("op-", "op_", 1)).unwrap();
    let err = verify(dir.path(), &k).unwrap_err();
    assert!(
        matches!(err, ChainFault::Edited { seq, .. } if seq == first),
        "{err}"
    );
    std::fs::write(middle, &original).unwrap();
    verify(dir.path(), &k).unwrap();
    // A segment removed from the middle.
    let aside = dir.path().join("aside");
    std::fs::create_dir(&aside).unwrap();
    let kept = aside.join(middle.file_name().unwrap());
    std::fs::rename(middle, &kept).unwrap();
    let err = verify(dir.path(), &k).unwrap_err();
    assert!(
        matches!(err, ChainFault::Missing { expected, .. } if expected == first),
        "{err}"
    );
    // Read with the folder it was moved to, the chain is whole again.
    let log_path = dir.path().join("audit/audit.jsonl");
    let whole = ChainFile::open_with(&log_path, std::slice::from_ref(&aside)).unwrap();
    let without = ChainFile::open(&log_path).unwrap();
    assert_eq!(whole.segments().len(), without.segments().len() + 1);
    assert_eq!(
        whole.len(),
        without.len() + std::fs::metadata(&kept).unwrap().len()
    );
}

#[test]
fn retention_moves_sealed_segments_to_the_archive_and_the_chain_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let k = keys(dir.path());
    let archive = dir.path().join("archive");
    let opts = AuditOptions {
        every: 3,
        interval: std::time::Duration::from_secs(60),
        reserve: 64 * 1024,
        segment_bytes: 2048,
        retain: Some(std::time::Duration::ZERO),
        archive: Some(archive.clone()),
        ..AuditOptions::default()
    };
    let log = AuditLog::open(&dir.path().join("audit"), k.clone(), opts.clone()).unwrap();
    for i in 0..60 {
        log.append_blocking(&event(i), false).unwrap();
    }
    drop(log);
    // Moved by a thread of its own: wait for it.
    let stubs = || {
        segments(dir.path())
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "archived"))
            .count()
    };
    for _ in 0..500 {
        if stubs() >= 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(stubs() >= 3, "{:?}", segments(dir.path()));
    let log_path = dir.path().join("audit/audit.jsonl");
    let chain = ChainFile::open(&log_path).unwrap();
    let archived: Vec<_> = chain.segments().iter().filter(|s| s.archived).collect();
    assert!(
        archived
            .iter()
            .all(|s| s.path.starts_with(std::fs::canonicalize(&archive).unwrap()))
    );
    assert_eq!(seqs(dir.path()), (1..=60).collect::<Vec<_>>());
    assert_eq!(verify(dir.path(), &k).unwrap().records, 60);
    // Reopened, the writer counts the archived segments in the chain's
    // offsets and goes on from its end.
    let log = AuditLog::open(&dir.path().join("audit"), k.clone(), opts.clone()).unwrap();
    assert_eq!(log.append_blocking(&event(60), true).unwrap(), 61);
    drop(log);
    assert_eq!(verify(dir.path(), &k).unwrap().records, 61);
    // An edit in an archived segment is caught.
    let moved = archived[0].path.clone();
    let original = std::fs::read_to_string(&moved).unwrap();
    std::fs::write(&moved, original.replacen("op-", "op_", 1)).unwrap();
    let err = verify(dir.path(), &k).unwrap_err();
    assert!(matches!(err, ChainFault::Edited { seq: 1, .. }), "{err}");
    // The archive out of reach: verification says where it looked.
    std::fs::remove_file(&moved).unwrap();
    let err = verify(dir.path(), &k).unwrap_err().to_string();
    assert!(err.contains("moved there by retention"), "{err}");
}

#[test]
fn a_segment_is_also_sealed_by_age() {
    let dir = tempfile::tempdir().unwrap();
    let k = keys(dir.path());
    let opts = |age| AuditOptions {
        every: 3,
        interval: std::time::Duration::from_secs(60),
        reserve: 64 * 1024,
        segment_bytes: 0,
        segment_age: age,
        ..AuditOptions::default()
    };
    // Never by size, not yet by age: one open segment.
    let hour = Some(std::time::Duration::from_secs(3600));
    let log = AuditLog::open(&dir.path().join("audit"), k.clone(), opts(hour)).unwrap();
    for i in 0..9 {
        log.append_blocking(&event(i), false).unwrap();
    }
    drop(log);
    assert!(segments(dir.path()).is_empty());
    // Every first record old enough: sealed at each checkpoint.
    let now = Some(std::time::Duration::ZERO);
    let log = AuditLog::open(&dir.path().join("audit"), k.clone(), opts(now)).unwrap();
    for i in 9..18 {
        log.append_blocking(&event(i), false).unwrap();
    }
    drop(log);
    assert!(
        segments(dir.path()).len() >= 3,
        "{:?}",
        segments(dir.path())
    );
    assert_eq!(verify(dir.path(), &k).unwrap().records, 18);
}

#[test]
fn a_verified_mark_holds_across_segments_sealed_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let k = keys(dir.path());
    let paths = AuditPaths::in_dir(&dir.path().join("audit"));
    let vk = VerifyKeys {
        mac: Some(k.mac.clone()),
        checkpoint: Some(k.checkpoint.verifying_key()),
        ..VerifyKeys::default()
    };
    let how = MarkOptions {
        full: false,
        signer: Some(k.checkpoint.clone()),
    };
    let run = || {
        verify_incremental(
            &paths.log,
            &paths.checkpoints,
            &vk,
            &VerifyOptions::default(),
            &how,
            &mut |_, _| {},
        )
    };
    let log = open(dir.path(), &k);
    for i in 0..10 {
        log.append_blocking(&event(i), false).unwrap();
    }
    drop(log);
    let first = run().unwrap();
    assert_eq!(first.summary.records, 10);
    // Sealed after the mark: the record it ends at is now in a sealed
    // segment, at the same offset.
    let before = segments(dir.path()).len();
    let log = open(dir.path(), &k);
    for i in 10..60 {
        log.append_blocking(&event(i), false).unwrap();
    }
    drop(log);
    assert!(segments(dir.path()).len() > before + 2);
    let next = run().unwrap();
    assert!(
        matches!(next.start, Start::Mark { records: 10, .. }),
        "{:?}",
        next.start
    );
    assert_eq!((next.summary.records, next.verified_now()), (60, 50));
    // An edit after the new mark, in a segment sealed later, is caught
    // going on from it.
    let log = open(dir.path(), &k);
    for i in 60..90 {
        log.append_blocking(&event(i), false).unwrap();
    }
    drop(log);
    let last = segments(dir.path()).pop().unwrap();
    let text = std::fs::read_to_string(&last).unwrap();
    std::fs::write(&last, text.replacen("op-", "op_", 1)).unwrap();
    let err = run().unwrap_err();
    assert!(matches!(err, ChainFault::Edited { .. }), "{err}");
}
