//! The audit record format is a contract (`host/docs/audit-format.md`):
//! one golden record per kind in `tests/golden/audit/v<FORMAT_VERSION>/`,
//! with fixed values, byte for byte — line, hash and MAC. A change of the
//! serialised form fails here until the format version is bumped and the
//! new goldens are written (`WARRANT_BLESS=1`); the goldens of earlier
//! versions stay and must still verify.

use std::path::Path;

use warrant::audit::{Event, FORMAT_VERSION, GENESIS, Record, is_operator_kind};

use crate::audit_samples::{claimed_refusal, samples};

const MAC_KEY: &[u8] = b"warrant audit golden test key -- not a secret";
#[test]
fn every_record_kind_matches_its_golden_record_byte_for_byte() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("golden/audit/v{FORMAT_VERSION}"));
    let bless = std::env::var_os("WARRANT_BLESS").is_some();
    std::fs::create_dir_all(&dir).unwrap();
    let samples = samples();
    let kinds: Vec<&str> = samples.iter().map(Event::kind).collect();
    assert_eq!(
        kinds,
        Event::KINDS,
        "every kind has a sample, in the order of Event::KINDS"
    );
    for e in &samples {
        assert_eq!(
            is_operator_kind(e.kind()),
            e.operator_action().is_some(),
            "{} is an operator record exactly when it carries an operator's action",
            e.kind()
        );
        assert_eq!(e.operator_action().is_some(), e.signed().is_some());
    }
    let mut prev = GENESIS.to_owned();
    for (i, e) in samples.iter().enumerate() {
        let r = Record::seal(
            i as u64 + 1,
            "2026-12-01T12:00:00.000Z",
            Some("host-0a1b2c3d4e5f6789"),
            &prev,
            e,
            MAC_KEY,
        );
        prev = r.hash.clone();
        let line = r.line() + "\n";
        let path = dir.join(format!("{}.jsonl", e.kind()));
        if bless {
            std::fs::write(&path, &line).unwrap();
            continue;
        }
        let golden = std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "missing {}: a new kind needs a golden record (WARRANT_BLESS=1)",
                path.display()
            )
        });
        assert_eq!(
            line,
            golden,
            "the serialised form of {} changed: bump FORMAT_VERSION, describe the change in host/docs/audit-format.md and write tests/golden/audit/v{} (WARRANT_BLESS=1)",
            e.kind(),
            FORMAT_VERSION + 1
        );
        // A reader gets the same typed event back.
        let back: Record = serde_json::from_str(&golden).unwrap();
        assert_eq!(back.event().as_ref(), Some(e));
        assert_eq!(back.compute_hash(), back.hash);
        assert_eq!(back.compute_mac(MAC_KEY), back.mac);
    }
    // A refusal before the token verified, continuing the chain: what the
    // token claimed is in `claimed`, never in `task`, `agent` or
    // `token_id`, and the record is in the story of the task it named.
    let e = claimed_refusal();
    let r = Record::seal(
        samples.len() as u64 + 1,
        "2026-12-01T12:00:00.000Z",
        Some("host-0a1b2c3d4e5f6789"),
        &prev,
        &e,
        MAC_KEY,
    );
    let line = r.line() + "\n";
    let path = dir.join("call.claimed.jsonl");
    if bless {
        std::fs::write(&path, &line).unwrap();
        return;
    }
    let golden = std::fs::read_to_string(&path).unwrap();
    assert_eq!(line, golden, "the serialised form of `claimed` changed");
    let back: Record = serde_json::from_str(&golden).unwrap();
    assert!(back.data.get("task").is_none() && back.data.get("agent").is_none());
    assert_eq!(back.data["claimed"]["task"], "INC-2026-0042");
    let ev = back.event().unwrap();
    assert_eq!(ev.task(), Some("INC-2026-0042"));
    assert_eq!(
        ev.agent(),
        None,
        "a claimed agent is not the record's agent"
    );
    assert_eq!(back.compute_hash(), back.hash);
    assert_eq!(back.compute_mac(MAC_KEY), back.mac);
}

#[test]
fn golden_records_of_every_format_version_still_verify() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/audit");
    let mut versions = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        for f in std::fs::read_dir(&dir).unwrap() {
            let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
            let r: Record = serde_json::from_str(text.trim_end()).unwrap();
            assert_eq!(r.compute_hash(), r.hash, "{}", dir.display());
            assert_eq!(r.compute_mac(MAC_KEY), r.mac);
        }
        versions += 1;
    }
    assert!(versions >= 1);
}

#[test]
fn a_record_with_its_arguments_and_prompt_withheld_keeps_its_hash() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("golden/audit/v{FORMAT_VERSION}"));
    let text = std::fs::read_to_string(dir.join("call.jsonl")).unwrap();
    let r: Record = serde_json::from_str(text.trim_end()).unwrap();
    assert!(r.data.get("args").is_some() && r.data.get("prompt").is_some());
    let withheld = r.redacted(&["arguments", "prompts"]);
    assert!(withheld.data.get("args").is_none() && withheld.data.get("prompt").is_none());
    assert_eq!(
        withheld.compute_hash(),
        r.hash,
        "the hash commits to their digests"
    );
    assert_eq!(withheld.compute_mac(MAC_KEY), r.mac);
    // A withheld value whose digest was changed no longer verifies.
    let mut lied = withheld.clone();
    lied.data["redacted"]["args"] = serde_json::json!(format!("sha256:{}", "0".repeat(64)));
    assert_ne!(lied.compute_hash(), r.hash);
    // Nor does a record whose arguments were edited in the clear.
    let mut edited = r.clone();
    edited.data["args"]["note"] = serde_json::json!("nothing to see");
    assert_ne!(edited.compute_hash(), r.hash);
}

/// The writer serialises each record straight from its typed event (no
/// `serde_json::Value`): every kind it writes is byte for byte the record
/// `Record::seal` — the definition the goldens pin — makes of the same
/// values, line, hash and MAC.
#[test]
fn the_writer_writes_every_kind_exactly_as_the_definition() {
    use warrant::audit::{AuditKeys, AuditLog, AuditOptions, AuditPaths};
    let dir = tempfile::tempdir().unwrap();
    let keys = AuditKeys {
        mac: MAC_KEY.to_vec(),
        checkpoint: ed25519_dalek::SigningKey::from_bytes(&[5; 32]),
    };
    let host = "host-0a1b2c3d4e5f6789";
    let log = AuditLog::open(
        &dir.path().join("audit"),
        keys,
        AuditOptions {
            fsync: false,
            host_id: Some(host.into()),
            ..AuditOptions::default()
        },
    )
    .unwrap();
    let mut events = samples();
    events.push(claimed_refusal());
    for e in &events {
        log.append_blocking(e, false).unwrap();
    }
    log.close();
    let text = std::fs::read_to_string(AuditPaths::in_dir(&dir.path().join("audit")).log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), events.len());
    let mut prev = GENESIS.to_owned();
    for (line, e) in lines.iter().zip(&events) {
        let written: Record = serde_json::from_str(line).unwrap();
        let defined = Record::seal(written.seq, &written.time, Some(host), &prev, e, MAC_KEY);
        assert_eq!(*line, defined.line(), "{}", e.kind());
        prev = defined.hash;
    }
}
