//! The audit chain: one tamper-evident, attributable record of everything
//! the host decided and did.
//!
//! Append-only JSON lines; each record carries its sequence number, time,
//! the previous record's hash, its own hash, and an HMAC under the host's
//! audit key. Signed checkpoints (Ed25519) beside the log let anyone with
//! the public checkpoint key verify integrity and detect truncation without
//! the MAC key. The audit module knows nothing of wasmtime.

mod keys;
mod ocsf;
mod query;
mod record;
mod verify;
mod writer;

pub use keys::{AuditKeys, keys_dir, parse_public_key};
pub use ocsf::{CATEGORY_UID, CLASS_UID, OCSF_VERSION, REQUIRED as OCSF_REQUIRED, to_ocsf};
pub use query::{Filter, read_records, safe, timeline};
pub use record::{GENESIS, MAX_TEXT, Record, cap, cap_at};
pub use verify::{ChainFault, ChainSummary, VerifyKeys, verify_chain};
pub use writer::{AuditError, AuditLog, AuditPaths, CheckpointPolicy};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn open(dir: &std::path::Path) -> (AuditLog, AuditKeys) {
        let keys = AuditKeys::load_or_create(&dir.join("keys")).unwrap();
        let log = AuditLog::open(
            &dir.join("audit"),
            keys.clone(),
            CheckpointPolicy {
                every: 3,
                interval: std::time::Duration::from_secs(60),
                fsync: true,
            },
        )
        .unwrap();
        (log, keys)
    }

    fn vkeys(k: &AuditKeys) -> VerifyKeys {
        VerifyKeys {
            mac: Some(k.mac.clone()),
            checkpoint: Some(k.checkpoint.verifying_key()),
        }
    }

    #[test]
    fn chain_verifies_and_detects_edits() {
        let dir = tempfile::tempdir().unwrap();
        let (log, keys) = open(dir.path());
        for i in 0..7 {
            assert_eq!(
                log.append_blocking("test", json!({"i": i, "task": "T"}), true)
                    .unwrap(),
                i + 1
            );
        }
        log.close();
        let paths = AuditPaths::in_dir(&dir.path().join("audit"));
        let summary = verify_chain(
            &paths.log,
            &paths.checkpoints,
            &vkeys(&keys),
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(summary.records, 7);
        assert!(summary.checkpoints >= 2);

        let text = std::fs::read_to_string(&paths.log).unwrap();
        let edited = text.replacen("\"i\":3", "\"i\":4", 1);
        std::fs::write(&paths.log, &edited).unwrap();
        let err = verify_chain(
            &paths.log,
            &paths.checkpoints,
            &vkeys(&keys),
            &mut |_, _| {},
        )
        .unwrap_err();
        assert!(matches!(err, ChainFault::Edited { seq: 4, .. }), "{err}");
        std::fs::write(&paths.log, &text).unwrap();
    }

    #[test]
    fn torn_tail_is_recovered_and_the_chain_continues() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (log, _) = open(dir.path());
            log.append_blocking("a", json!({}), true).unwrap();
            log.append_blocking("b", json!({}), true).unwrap();
        }
        let paths = AuditPaths::in_dir(&dir.path().join("audit"));
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&paths.log)
            .unwrap();
        std::io::Write::write_all(&mut f, b"{\"seq\":3,\"time\":\"2026").unwrap();
        drop(f);
        let (log, keys) = open(dir.path());
        assert_eq!(log.append_blocking("c", json!({}), true).unwrap(), 4);
        log.close();
        let summary = verify_chain(
            &paths.log,
            &paths.checkpoints,
            &vkeys(&keys),
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(summary.records, 4);
        let recs = read_records(&paths.log, &Filter::default()).unwrap();
        assert_eq!(recs[2].kind, "audit.recovered");
    }

    #[test]
    fn two_writers_share_one_chain() {
        let dir = tempfile::tempdir().unwrap();
        let (a, keys) = open(dir.path());
        let (b, _) = open(dir.path());
        for i in 0..5 {
            a.append_blocking("a", json!({"i": i}), true).unwrap();
            b.append_blocking("b", json!({"i": i}), true).unwrap();
        }
        a.close();
        b.close();
        let paths = AuditPaths::in_dir(&dir.path().join("audit"));
        assert_eq!(
            verify_chain(
                &paths.log,
                &paths.checkpoints,
                &vkeys(&keys),
                &mut |_, _| {}
            )
            .unwrap()
            .records,
            10
        );
    }

    #[test]
    fn unwritable_log_fails() {
        let dir = tempfile::tempdir().unwrap();
        let keys = AuditKeys::load_or_create(&dir.path().join("keys")).unwrap();
        let audit = dir.path().join("audit");
        std::fs::create_dir_all(&audit).unwrap();
        std::os::unix::fs::symlink("/dev/full", audit.join("audit.jsonl")).unwrap();
        let log = AuditLog::open(&audit, keys, CheckpointPolicy::default()).unwrap();
        assert!(log.append_blocking("x", json!({}), true).is_err());
    }
}
