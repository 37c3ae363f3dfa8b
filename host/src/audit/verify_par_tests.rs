//! `audit verify` on many threads against the walk of one: the same
//! summary for a chain that holds — in one segment and across many, with
//! lines longer than a chunk — and the same fault, at the same line, for
//! every kind of damage, including bytes that are not text. (In unit
//! tests a chunk is 2 KiB, so these chains are walked in dozens of
//! chunks, here by three threads.)

use std::path::{Path, PathBuf};

use super::verify_tests::{call_event, call_with_note};
use super::*;
use crate::statedir::StateDir;

/// Append call records `ids` to the chain in `dir`, those whose id ends
/// in 0 or 1 longer than several chunks; sealed into segments of
/// `segment_bytes` (0: never).
fn append(dir: &Path, keys: &AuditKeys, ids: std::ops::RangeInclusive<u64>, segment_bytes: u64) {
    let opts = AuditOptions {
        every: 16,
        segment_bytes,
        reserve: 64 * 1024,
        ..AuditOptions::default()
    };
    let log = AuditLog::open(&dir.join("audit"), keys.clone(), opts).unwrap();
    for i in ids {
        let event = match i % 50 {
            10 | 11 => call_with_note(i, &"x".repeat(9000)),
            _ => call_event(i),
        };
        log.append_blocking(&event, i % 7 == 0).unwrap();
    }
    log.close();
}

/// A chain of 120 call records, four of them longer than several chunks,
/// sealed into segments of `segment_bytes` (0: one segment); its keys,
/// and its log's and checkpoints' paths.
fn chain(dir: &Path, segment_bytes: u64) -> (VerifyKeys, PathBuf, PathBuf) {
    let keys = AuditKeys::load_or_create(&StateDir::create(&dir.join("state")).unwrap()).unwrap();
    append(dir, &keys, 1..=120, segment_bytes);
    let paths = AuditPaths::in_dir(&dir.join("audit"));
    let k = VerifyKeys {
        mac: Some(keys.mac.clone()),
        checkpoint: Some(keys.checkpoint.verifying_key()),
        ..VerifyKeys::default()
    };
    (k, paths.log, paths.checkpoints)
}

/// The verdicts of the fast verifier on three threads (these chains are
/// longer than four chunks), on one, and of the definition (one thread),
/// with what only the fast path counts set aside.
fn verdicts(keys: &VerifyKeys, log: &Path, cps: &Path) -> [Result<ChainSummary, ChainFault>; 3] {
    let opts = |threads| VerifyOptions {
        threads,
        ..VerifyOptions::default()
    };
    let mut reached = 0;
    let many = verify_chain(log, cps, keys, &opts(3), &mut |done, total| {
        assert!(done >= reached && done <= total, "progress goes forward");
        reached = done;
    });
    let one = verify_chain(log, cps, keys, &opts(1), &mut |_, _| {});
    let slow = verify_chain_by_definition(log, cps, keys, &opts(3), &mut |_, _| {});
    assert_eq!(
        many.as_ref().map(|s| s.by_stored_bytes),
        one.as_ref().map(|s| s.by_stored_bytes)
    );
    [many, one, slow].map(|r| {
        r.map(|s| ChainSummary {
            by_stored_bytes: 0,
            ..s
        })
    })
}

#[test]
fn a_chain_that_holds_gives_the_same_summary_on_many_threads_as_on_one() {
    for segment_bytes in [0, 16 << 10] {
        let dir = tempfile::tempdir().unwrap();
        let (keys, log, cps) = chain(dir.path(), segment_bytes);
        let sealed =
            std::fs::read_dir(dir.path().join("audit/segments")).map_or(0, Iterator::count);
        assert_eq!(sealed > 3, segment_bytes > 0, "{sealed} sealed segments");
        let [many, one, slow] = verdicts(&keys, &log, &cps);
        let s = many.unwrap();
        assert_eq!(Ok(&s), one.as_ref());
        assert_eq!(Ok(&s), slow.as_ref());
        assert_eq!((s.records, s.macs_checked), (120, 120));
        assert!(s.checkpoints >= 7 && s.notes >= 7, "{s:?}");
        // Each call record carries its decision and its outcome.
        assert!(s.open_calls.is_empty());
        // The walk ends where the chain does: a mark left there holds,
        // and a walk on many threads goes on from it.
        let state = StateDir::open_existing(&dir.path().join("state")).unwrap();
        let signer = AuditKeys::load_or_create(&state).unwrap();
        let how = |full| MarkOptions {
            full,
            signer: Some(signer.checkpoint.clone()),
        };
        let many = VerifyOptions {
            threads: 3,
            ..VerifyOptions::default()
        };
        let first = verify_incremental(&log, &cps, &keys, &many, &how(true), &mut |_, _| {});
        assert!(matches!(first.unwrap().marked, Marked::Written));
        let mark: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("audit/verified.json")).unwrap(),
        )
        .unwrap();
        let len = ChainFile::open(&log).unwrap().len();
        assert_eq!(
            mark["mark"]["offset"], len,
            "the mark is at the chain's end"
        );
        append(dir.path(), &signer, 121..=200, segment_bytes);
        let next =
            verify_incremental(&log, &cps, &keys, &many, &how(false), &mut |_, _| {}).unwrap();
        assert!(
            matches!(next.start, Start::Mark { records: 120, .. }),
            "{:?}",
            next.start
        );
        let [_, one, _] = verdicts(&keys, &log, &cps);
        let one = one.unwrap();
        assert_eq!((next.summary.records, one.records), (200, 200));
        assert_eq!(next.summary.notes, one.notes);
    }
}

/// The bytes of the log with line `n` (from 1) replaced by `edit` of it.
fn edit(log: &Path, n: usize, edit: impl Fn(&[u8]) -> Vec<u8>) {
    let text = std::fs::read(log).unwrap();
    let mut out = Vec::new();
    for (i, line) in text.split_inclusive(|&b| b == b'\n').enumerate() {
        if i + 1 == n {
            out.extend(edit(line));
        } else {
            out.extend_from_slice(line);
        }
    }
    std::fs::write(log, out).unwrap();
}

fn replace(line: &[u8], from: &str, to: &str) -> Vec<u8> {
    String::from_utf8(line.to_vec())
        .unwrap()
        .replacen(from, to, 1)
        .into_bytes()
}

#[test]
fn every_kind_of_damage_is_the_same_fault_on_many_threads_as_on_one() {
    type Damage = fn(&Path);
    let damages: [(&str, Damage); 8] = [
        ("a value edited", |l| {
            edit(l, 75, |b| {
                replace(b, "\"outcome\":\"ok\"", "\"outcome\":\"no\"")
            });
        }),
        ("a long record edited", |l| {
            edit(l, 61, |b| replace(b, "xxxx", "xxxy"));
        }),
        ("a record deleted", |l| edit(l, 60, |_| Vec::new())),
        ("two records swapped", |l| {
            let text = std::fs::read_to_string(l).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            edit(l, 30, |_| format!("{}\n", lines[30]).into_bytes());
            edit(l, 31, |_| format!("{}\n", lines[29]).into_bytes());
        }),
        ("a MAC changed", |l| {
            edit(l, 101, |b| {
                let r: Record = serde_json::from_slice(b).unwrap();
                let mut mac = r.mac.clone().into_bytes();
                mac[0] = if mac[0] == b'0' { b'1' } else { b'0' };
                replace(b, &r.mac, std::str::from_utf8(&mac).unwrap())
            });
        }),
        ("bytes that are not text", |l| {
            edit(l, 50, |b| {
                let mut b = b.to_vec();
                b[30] = 0xff;
                b
            });
        }),
        ("two lines joined", |l| {
            edit(l, 20, |b| b.strip_suffix(b"\n").unwrap().to_vec());
        }),
        ("the last line cut short", |l| {
            let text = std::fs::read(l).unwrap();
            std::fs::write(l, &text[..text.len() - 40]).unwrap();
        }),
    ];
    for (what, damage) in damages {
        let dir = tempfile::tempdir().unwrap();
        let (keys, log, cps) = chain(dir.path(), 0);
        damage(&log);
        let [many, one, slow] = verdicts(&keys, &log, &cps);
        assert!(many.is_err(), "{what}: {many:?}");
        assert_eq!(many, one, "{what}");
        assert_eq!(many, slow, "{what}");
    }
}
