//! Unit tests of the chain: verification and edits, torn tails, two
//! writers, a full log, the reserve, the witness.

use super::event::{AuditRecovered, ConfigReloaded};
use super::*;
use crate::statedir::StateDir;

fn event(i: u64) -> Event {
    Event::ConfigReloaded(ConfigReloaded {
        trigger: "operator".into(),
        by: Some(format!("op-{i}")),
        loaded: vec![],
        unloaded: vec![],
        cancelled_calls: 0,
        applied: true,
        error: None,
    })
}

fn options() -> AuditOptions {
    AuditOptions {
        every: 3,
        interval: std::time::Duration::from_secs(60),
        reserve: 64 * 1024,
        ..AuditOptions::default()
    }
}

fn open_with(dir: &std::path::Path, opts: AuditOptions) -> (AuditLog, AuditKeys) {
    let keys = AuditKeys::load_or_create(&StateDir::create(&dir.join("state")).unwrap()).unwrap();
    let log = AuditLog::open(&dir.join("audit"), keys.clone(), opts).unwrap();
    (log, keys)
}

fn open(dir: &std::path::Path) -> (AuditLog, AuditKeys) {
    open_with(dir, options())
}

fn vkeys(k: &AuditKeys) -> VerifyKeys {
    VerifyKeys {
        mac: Some(k.mac.clone()),
        checkpoint: Some(k.checkpoint.verifying_key()),
        operators: None,
        agents: None,
        governors: None,
        witnesses: Vec::new(),
    }
}

fn verify(
    dir: &std::path::Path,
    k: &AuditKeys,
    opts: &VerifyOptions,
) -> Result<ChainSummary, ChainFault> {
    let paths = AuditPaths::in_dir(&dir.join("audit"));
    verify_chain(
        &paths.log,
        &paths.checkpoints,
        &vkeys(k),
        opts,
        &mut |_, _| {},
    )
}

#[test]
fn chain_verifies_and_detects_edits() {
    let dir = tempfile::tempdir().unwrap();
    let (log, keys) = open(dir.path());
    for i in 0..7 {
        assert_eq!(log.append_blocking(&event(i), true).unwrap(), i + 1);
    }
    log.close();
    let summary = verify(dir.path(), &keys, &VerifyOptions::default()).unwrap();
    assert_eq!(summary.records, 7);
    assert!(summary.checkpoints >= 2);
    assert_eq!(summary.uncovered, 0, "close writes a final checkpoint");
    let paths = AuditPaths::in_dir(&dir.path().join("audit"));
    let text = std::fs::read_to_string(&paths.log).unwrap();
    let v = format!("{{\"v\":{FORMAT_VERSION},");
    assert!(text.lines().all(|l| l.starts_with(&v)));
    let edited = text.replacen("op-3", "op-4", 1);
    std::fs::write(&paths.log, &edited).unwrap();
    let err = verify(dir.path(), &keys, &VerifyOptions::default()).unwrap_err();
    assert!(matches!(err, ChainFault::Edited { seq: 4, .. }), "{err}");
}

#[test]
fn torn_tail_is_recovered_and_the_chain_continues() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (log, _) = open(dir.path());
        log.append_blocking(&event(1), true).unwrap();
        log.append_blocking(&event(2), true).unwrap();
    }
    let paths = AuditPaths::in_dir(&dir.path().join("audit"));
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&paths.log)
        .unwrap();
    std::io::Write::write_all(&mut f, b"{\"seq\":3,\"time\":\"2026").unwrap();
    drop(f);
    let (log, keys) = open(dir.path());
    assert_eq!(log.append_blocking(&event(3), true).unwrap(), 4);
    log.close();
    assert_eq!(
        verify(dir.path(), &keys, &VerifyOptions::default())
            .unwrap()
            .records,
        4
    );
    let recs = read_records(&paths.log, &Filter::default()).unwrap();
    assert_eq!(recs[2].kind, "audit.recovered");
    assert!(matches!(
        recs[2].event(),
        Some(Event::AuditRecovered(AuditRecovered { .. }))
    ));
}

#[test]
fn two_writers_share_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let (a, keys) = open(dir.path());
    let (b, _) = open(dir.path());
    for i in 0..5 {
        a.append_blocking(&event(i), true).unwrap();
        b.append_blocking(&event(i), true).unwrap();
    }
    a.close();
    b.close();
    assert_eq!(
        verify(dir.path(), &keys, &VerifyOptions::default())
            .unwrap()
            .records,
        10
    );
}

#[test]
fn a_log_that_cannot_be_opened_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let keys =
        AuditKeys::load_or_create(&StateDir::create(&dir.path().join("s")).unwrap()).unwrap();
    let audit = dir.path().join("audit");
    std::fs::create_dir_all(audit.join("audit.jsonl")).unwrap();
    let err = AuditLog::open(&audit, keys, AuditOptions::default()).unwrap_err();
    assert!(err.to_string().contains("audit.jsonl"), "{err}");
}

#[test]
fn the_reserve_bounds_the_calls_that_may_start() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = open_with(
        dir.path(),
        AuditOptions {
            reserve: 2 * 16 * 1024,
            ..options()
        },
    );
    assert!(
        dir.path()
            .join("audit/reserve.bin")
            .metadata()
            .unwrap()
            .len()
            >= 32 * 1024
    );
    let r1 = log.reserve().unwrap();
    let r2 = log.reserve().unwrap();
    assert_eq!(log.reserved(), 2);
    let err = log.reserve().unwrap_err();
    assert!(matches!(err, AuditError::Full { .. }), "{err}");
    drop(r1);
    let r3 = log.reserve().unwrap();
    drop((r2, r3));
    assert_eq!(log.reserved(), 0);
}

#[test]
fn a_witness_catches_a_deleted_tail_and_its_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let witness = dir.path().join("elsewhere/witness.jsonl");
    std::fs::create_dir_all(witness.parent().unwrap()).unwrap();
    let (log, keys) = open_with(
        dir.path(),
        AuditOptions {
            witness: Some(witness.clone()),
            ..options()
        },
    );
    for i in 0..6 {
        log.append_blocking(&event(i), true).unwrap();
    }
    log.close();
    let paths = AuditPaths::in_dir(&dir.path().join("audit"));
    let lines: Vec<String> = std::fs::read_to_string(&paths.log)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    std::fs::write(&paths.log, lines[..4].join("\n") + "\n").unwrap();
    std::fs::remove_file(&paths.checkpoints).unwrap();
    // Without the witness, verification can only say the end is not covered.
    let s = verify(dir.path(), &keys, &VerifyOptions::default()).unwrap();
    assert_eq!((s.records, s.checkpoints, s.uncovered), (4, 0, 4));
    let strict = VerifyOptions {
        require_checkpoint: true,
        ..VerifyOptions::default()
    };
    assert!(matches!(
        verify(dir.path(), &keys, &strict),
        Err(ChainFault::Uncovered { uncovered: 4, .. })
    ));
    let with_witness = VerifyOptions {
        witness: Some(witness),
        ..VerifyOptions::default()
    };
    let err = verify(dir.path(), &keys, &with_witness).unwrap_err();
    assert!(
        matches!(err, ChainFault::Witness { checkpoint: 6, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("deleted"), "{err}");
}
