//! The benchmark's synthetic chain (`warrant-bench --audit-scale`): real
//! records, which `audit verify` accepts on its fast path and by the
//! definition alike, and in which an edit is caught.

use warrant::audit::{
    ChainFault, VerifyKeys, VerifyOptions, verify_chain, verify_chain_by_definition,
};

const KEY: &[u8] = b"synthetic chain test key";

#[test]
fn a_synthetic_chain_verifies_on_either_path_and_an_edit_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let cps = dir.path().join("checkpoints.jsonl");
    let written = warrant_tests::write_synthetic_chain(&log, 1200, KEY).unwrap();
    assert_eq!(written.records, 1200);
    assert!(
        written.bytes / 1200 > 900,
        "records the size of a real call's"
    );
    let keys = VerifyKeys {
        mac: Some(KEY.to_vec()),
        ..VerifyKeys::default()
    };
    let o = VerifyOptions::default();
    let fast = verify_chain(&log, &cps, &keys, &o, &mut |_, _| {}).unwrap();
    assert_eq!(
        (fast.records, fast.macs_checked, fast.by_stored_bytes),
        (1200, 1200, 1200)
    );
    assert!(fast.open_calls.is_empty());
    let slow = verify_chain_by_definition(&log, &cps, &keys, &o, &mut |_, _| {}).unwrap();
    assert_eq!((slow.records, slow.by_stored_bytes), (1200, 0));
    // The same chain under another key: every MAC is wrong.
    let other = VerifyKeys {
        mac: Some(b"another key".to_vec()),
        ..VerifyKeys::default()
    };
    let err = verify_chain(&log, &cps, &other, &o, &mut |_, _| {}).unwrap_err();
    assert!(matches!(err, ChainFault::BadMac { seq: 1, .. }), "{err}");
    // One record's prompt edited.
    let text = std::fs::read_to_string(&log).unwrap();
    let edited: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 700 {
                l.replacen("containment", "contaimnent", 1)
            } else {
                l.to_owned()
            }
        })
        .collect();
    std::fs::write(&log, edited.join("\n") + "\n").unwrap();
    for result in [
        verify_chain(&log, &cps, &keys, &o, &mut |_, _| {}),
        verify_chain_by_definition(&log, &cps, &keys, &o, &mut |_, _| {}),
    ] {
        let err = result.unwrap_err();
        assert!(
            matches!(
                err,
                ChainFault::Edited {
                    seq: 701,
                    line: 701
                }
            ),
            "{err}"
        );
    }
}

#[test]
fn records_appended_to_a_synthetic_chain_verify_from_the_mark() {
    use warrant::audit::{MarkOptions, Marked, Start, verify_incremental};
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let cps = dir.path().join("checkpoints.jsonl");
    warrant_tests::write_synthetic_chain(&log, 1200, KEY).unwrap();
    let signer = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let keys = VerifyKeys {
        mac: Some(KEY.to_vec()),
        checkpoint: Some(signer.verifying_key()),
        ..VerifyKeys::default()
    };
    let how = MarkOptions {
        full: false,
        signer: Some(signer),
    };
    let o = VerifyOptions::default();
    let first = verify_incremental(&log, &cps, &keys, &o, &how, &mut |_, _| {}).unwrap();
    assert_eq!(first.marked, Marked::Written);
    let added = warrant_tests::append_synthetic_chain(&log, 300, KEY).unwrap();
    assert_eq!(added.records, 300);
    let v = verify_incremental(&log, &cps, &keys, &o, &how, &mut |_, _| {}).unwrap();
    assert!(
        matches!(v.start, Start::Mark { records: 1200, .. }),
        "{:?}",
        v.start
    );
    assert_eq!(v.verified_now(), 300);
    assert_eq!(
        v.summary,
        verify_chain(&log, &cps, &keys, &o, &mut |_, _| {}).unwrap()
    );
}
