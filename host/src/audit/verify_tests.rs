//! The fast path of `audit verify` against the definition: the same
//! verdict on every golden record of every format version, and the same
//! fault for every edit.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::verify_line::{LineReader, Parsed};
use super::*;
use crate::statedir::StateDir;
use crate::vocab::to_canonical;

fn goldens() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/audit");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        for f in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let path = f.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path, text.trim_end().to_owned()));
        }
    }
    assert!(out.len() > 100, "the goldens of every format version");
    out
}

/// Read `line` on the fast path: whether it was taken, and whether the
/// hash holds.
fn read(line: &str) -> (bool, bool, Option<String>) {
    let mut reader = LineReader::new(true, None);
    let p = reader.read(line, 1).unwrap();
    let fast = matches!(p, Parsed::Fast(_));
    (fast, p.hash_holds(), p.call_id().map(str::to_owned))
}

#[test]
fn the_fast_path_agrees_with_the_definition_on_every_golden_record() {
    let mut fast = 0;
    for (path, line) in goldens() {
        let r: Record = serde_json::from_str(&line).unwrap();
        let by_definition = r.compute_hash() == r.hash;
        let (taken, holds, call_id) = read(&line);
        let name = path.display();
        assert_eq!(holds, by_definition, "{name}");
        assert_eq!(call_id.as_deref(), r.str("call_id"), "{name}");
        // Stored canonically (as every writer since the canonical line
        // stores it): the stored bytes are what was hashed.
        if r.line() == line {
            assert!(taken, "{name}: canonical, yet judged by the definition");
            fast += 1;
        }
        // Withheld fields (from format 8) are put back as their digests.
        let withheld = r.redacted(&["arguments", "prompts"]);
        if withheld != r {
            let (taken, holds, _) = read(&withheld.line());
            assert!(taken && holds, "{name}, redacted");
        }
        // A changed value is caught on either path.
        let mut edited = r.clone();
        edited.data["zz_added"] = json!(1);
        let (_, holds, _) = read(&edited.line());
        assert!(!holds, "{name}, edited");
    }
    assert!(fast > 50, "most goldens are stored canonically ({fast})");
}

pub(super) fn call_event(i: u64) -> Event {
    call_with_note(i, "Blocked 203.0.113.45")
}

/// A call record whose arguments carry `note`.
pub(super) fn call_with_note(i: u64, note: &str) -> Event {
    let mut data = json!({
        "call_id": format!("call-{i}"), "channel": "mcp", "tool": "case-note.append", "agent": "triage-bot",
        "task": "INC-1", "plugin": "case-note", "impact": "read",
        "input_digest": "sha256:00", "input_size": 64,
        "args": {"case_id": "INC-1", "note": note},
        "decision": {"result": "allow", "layer": "policy", "policies": ["p"], "reason": ""},
        "prompt": "record the containment", "context": null,
        "outcome": "ok", "duration_ms": 12, "output_size": 40, "uses": [], "output_digest": null,
    });
    if i.is_multiple_of(2) {
        data["prompt"] = json!(null);
    }
    Event::from_parts("call", &data).unwrap()
}

/// A chain of five call records, the keys, and its log's path.
fn chain(dir: &Path) -> (AuditKeys, PathBuf, PathBuf) {
    let keys = AuditKeys::load_or_create(&StateDir::create(&dir.join("state")).unwrap()).unwrap();
    let log = AuditLog::open(&dir.join("audit"), keys.clone(), AuditOptions::default()).unwrap();
    for i in 1..=5 {
        log.append_blocking(&call_event(i), true).unwrap();
    }
    log.close();
    let paths = AuditPaths::in_dir(&dir.join("audit"));
    (keys, paths.log, paths.checkpoints)
}

fn both(
    keys: &AuditKeys,
    log: &Path,
    cps: &Path,
) -> (
    Result<ChainSummary, ChainFault>,
    Result<ChainSummary, ChainFault>,
) {
    let k = VerifyKeys {
        mac: Some(keys.mac.clone()),
        checkpoint: Some(keys.checkpoint.verifying_key()),
        ..VerifyKeys::default()
    };
    let o = VerifyOptions::default();
    (
        verify_chain(log, cps, &k, &o, &mut |_, _| {}),
        verify_chain_by_definition(log, cps, &k, &o, &mut |_, _| {}),
    )
}

/// Replace record `seq`'s line by `edit` of it.
fn edit_line(log: &Path, seq: usize, edit: impl Fn(&str) -> String) {
    let text = std::fs::read_to_string(log).unwrap();
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == seq { edit(l) } else { l.to_owned() })
        .collect();
    std::fs::write(log, lines.join("\n") + "\n").unwrap();
}

#[test]
fn every_edit_is_the_same_fault_on_either_path() {
    type Edit = fn(&str) -> String;
    let edits: [(&str, Edit, bool); 7] = [
        (
            "a value changed",
            |l| l.replacen("\"outcome\":\"ok\"", "\"outcome\":\"no\"", 1),
            false,
        ),
        (
            "a redactable value changed",
            |l| l.replacen("Blocked", "Allowed", 1),
            false,
        ),
        (
            "a field added",
            |l| l.replacen("\"channel\"", "\"extra\":1,\"channel\"", 1),
            false,
        ),
        // The same values, not stored canonically: the definition decides.
        (
            "keys reordered",
            |l| {
                l.replacen("\"channel\":\"mcp\",", "", 1).replacen(
                    "\"data\":{",
                    "\"data\":{\"channel\":\"mcp\",",
                    1,
                )
            },
            true,
        ),
        (
            "whitespace added",
            |l| l.replacen(",\"outcome\":", ", \"outcome\" : ", 1),
            true,
        ),
        ("the arguments withheld", |l| redact(l, None), true),
        (
            "the arguments withheld, a wrong digest",
            |l| redact(l, Some("sha256:00")),
            false,
        ),
    ];
    for (what, edit, holds) in edits {
        let dir = tempfile::tempdir().unwrap();
        let (keys, log, cps) = chain(dir.path());
        let (fast, slow) = both(&keys, &log, &cps);
        assert_eq!(fast.as_ref().map(|s| s.by_stored_bytes), Ok(5));
        assert_eq!(fast.map(|s| s.records), slow.map(|s| s.records));
        edit_line(&log, 3, edit);
        let (fast, slow) = both(&keys, &log, &cps);
        let strip = |r: Result<ChainSummary, ChainFault>| r.map(|s| (s.records, s.macs_checked));
        let (fast, slow) = (strip(fast), strip(slow));
        assert_eq!(fast, slow, "{what}");
        if holds {
            assert_eq!(fast, Ok((5, 5)), "{what}");
        } else {
            assert!(
                matches!(fast, Err(ChainFault::Edited { seq: 3, line: 3 })),
                "{what}: {fast:?}"
            );
        }
    }
}

/// The line with its arguments withheld, under `digest` if given.
fn redact(line: &str, digest: Option<&str>) -> String {
    let r: Record = serde_json::from_str(line).unwrap();
    let mut w = r.redacted(&["arguments"]);
    if let Some(d) = digest {
        w.data["redacted"]["args"] = json!(d);
    }
    w.line()
}

/// Stored bytes that are not canonical but were hashed as they are: the
/// fast path accepts them (they are exactly what was hashed and MACed);
/// the definition, which hashes their canonical form, does not.
#[test]
fn stored_bytes_hashed_as_they_are_verify_on_the_fast_path() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, log, cps) = chain(dir.path());
    let text = std::fs::read_to_string(&log).unwrap();
    let last: Record = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    // Keys in order, no key twice (else the definition decides), but with
    // whitespace.
    let data = br#"{ "applied": true, "cancelled_calls": 0, "loaded": [ ], "trigger": "signal", "unloaded": [] }"#;
    assert_ne!(to_canonical(&serde_json::from_slice(data).unwrap()), data);
    let mut line = Vec::new();
    let s = crate::audit::Sealing {
        seq: 6,
        time: "2026-12-01T12:00:00.000Z",
        host: None,
        kind: "config.reloaded",
        prev: &last.hash,
    };
    crate::audit::seal_line(s, data, data, &keys.mac, &mut line);
    line.push(b'\n');
    let mut all = text.into_bytes();
    all.extend_from_slice(&line);
    std::fs::write(&log, all).unwrap();
    let (fast, slow) = both(&keys, &log, &cps);
    assert_eq!(fast.map(|s| (s.records, s.by_stored_bytes)), Ok((6, 6)));
    assert!(matches!(slow, Err(ChainFault::Edited { seq: 6, .. })));
}
