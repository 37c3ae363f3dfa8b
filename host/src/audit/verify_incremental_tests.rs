//! Incremental verification against the full one, on real chains written
//! by the writer under real keys: the same summary, every fault in the
//! appended records, the seal to the past, and the mark's own signature.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::mark::{MARK_FILE, MarkBody, write_mark};
use super::*;
use crate::statedir::StateDir;

fn call_event(i: u64) -> Event {
    Event::from_parts(
        "call",
        &json!({
            "call_id": format!("call-{i}"), "channel": "mcp", "tool": "case-note.append", "agent": "triage-bot",
            "task": "INC-1", "plugin": "case-note", "impact": "read",
            "input_digest": "sha256:00", "input_size": 64,
            "args": {"case_id": "INC-1", "note": "Blocked 203.0.113.45"},
            "decision": {"result": "allow", "layer": "policy", "policies": ["p"], "reason": ""},
            "prompt": "record the containment", "context": null,
            "outcome": "ok", "duration_ms": 12, "output_size": 40, "uses": [], "output_digest": null,
        }),
    )
    .unwrap()
}

struct Chain {
    keys: AuditKeys,
    dir: PathBuf,
    log: PathBuf,
    cps: PathBuf,
}

impl Chain {
    fn new(dir: &Path) -> Self {
        let keys =
            AuditKeys::load_or_create(&StateDir::create(&dir.join("state")).unwrap()).unwrap();
        let paths = AuditPaths::in_dir(&dir.join("audit"));
        Self {
            keys,
            dir: dir.join("audit"),
            log: paths.log,
            cps: paths.checkpoints,
        }
    }

    /// Append the records of calls `ids` (each run closes with a
    /// checkpoint).
    fn append(&self, ids: std::ops::RangeInclusive<u64>) {
        let log = AuditLog::open(&self.dir, self.keys.clone(), AuditOptions::default()).unwrap();
        for i in ids {
            log.append_blocking(&call_event(i), true).unwrap();
        }
        log.close();
    }

    fn keys(&self) -> VerifyKeys {
        VerifyKeys {
            mac: Some(self.keys.mac.clone()),
            checkpoint: Some(self.keys.checkpoint.verifying_key()),
            ..VerifyKeys::default()
        }
    }

    fn verify(&self, full: bool) -> Result<Verification, ChainFault> {
        let how = MarkOptions {
            full,
            signer: Some(self.keys.checkpoint.clone()),
        };
        verify_incremental(
            &self.log,
            &self.cps,
            &self.keys(),
            &VerifyOptions::default(),
            &how,
            &mut |_, _| {},
        )
    }

    fn full_chain(&self) -> ChainSummary {
        verify_chain(
            &self.log,
            &self.cps,
            &self.keys(),
            &VerifyOptions::default(),
            &mut |_, _| {},
        )
        .unwrap()
    }

    /// Replace record `seq`'s line by `edit` of it.
    fn edit(&self, seq: usize, edit: impl Fn(&str) -> String) {
        let text = std::fs::read_to_string(&self.log).unwrap();
        let lines: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(i, l)| if i + 1 == seq { edit(l) } else { l.to_owned() })
            .collect();
        std::fs::write(&self.log, lines.join("\n") + "\n").unwrap();
    }

    fn mark(&self) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.dir.join(MARK_FILE)).unwrap()).unwrap()
    }
}

/// Everything but the list of signatures verified now.
fn same(a: &ChainSummary, b: &ChainSummary) {
    let strip = |s: &ChainSummary| ChainSummary {
        signed: Vec::new(),
        ..s.clone()
    };
    assert_eq!(strip(a), strip(b));
}

#[test]
fn incremental_after_appends_equals_full_over_everything() {
    let tmp = tempfile::tempdir().unwrap();
    let c = Chain::new(tmp.path());
    c.append(1..=5);
    let first = c.verify(false).unwrap();
    assert_eq!(first.start, Start::First { why: None });
    assert_eq!(first.marked, Marked::Written);
    assert_eq!(first.summary.records, 5);
    assert_eq!(c.mark()["mark"]["seq"], 5);
    c.append(6..=12);
    let second = c.verify(false).unwrap();
    assert!(
        matches!(second.start, Start::Mark { records: 5, .. }),
        "{:?}",
        second.start
    );
    assert_eq!(second.verified_now(), 7);
    assert_eq!(second.marked, Marked::Written);
    let full = c.full_chain();
    assert!(full.checkpoints >= 2 && full.notes >= 2, "{full:?}");
    same(&second.summary, &full);
    same(&c.verify(true).unwrap().summary, &full);
    // Nothing new: nothing read, the mark left as it is.
    let third = c.verify(false).unwrap();
    assert_eq!((third.verified_now(), third.marked), (0, Marked::Unchanged));
    same(&third.summary, &full);
    // A checkpoint repeated for a seq the mark covers (as a witness's
    // cosignature arrives): the same tree, so the mark still holds.
    let text = std::fs::read_to_string(&c.cps).unwrap();
    let first_line = text.lines().next().unwrap().to_owned();
    std::fs::write(&c.cps, format!("{text}{first_line}\n")).unwrap();
    let fourth = c.verify(false).unwrap();
    assert!(matches!(fourth.start, Start::Mark { .. }), "{fourth:?}");
    same(&fourth.summary, &c.full_chain());
}

#[test]
fn an_edit_after_the_mark_is_caught_incrementally() {
    let tmp = tempfile::tempdir().unwrap();
    let c = Chain::new(tmp.path());
    c.append(1..=5);
    c.verify(false).unwrap();
    c.append(6..=9);
    c.edit(7, |l| l.replacen("Blocked", "Allowed", 1));
    let err = c.verify(false).unwrap_err();
    assert_eq!(err, ChainFault::Edited { seq: 7, line: 7 });
    // The mark is where it was.
    assert_eq!(c.mark()["mark"]["seq"], 5);
}

#[test]
fn an_edit_before_the_mark_is_caught_by_full_only() {
    let tmp = tempfile::tempdir().unwrap();
    let c = Chain::new(tmp.path());
    c.append(1..=5);
    c.verify(false).unwrap();
    // The same length: every offset stays, so the seal holds.
    c.edit(2, |l| l.replacen("Blocked", "Allowed", 1));
    let quick = c.verify(false).unwrap();
    assert!(matches!(quick.start, Start::Mark { records: 5, .. }));
    assert_eq!(quick.verified_now(), 0);
    let err = c.verify(true).unwrap_err();
    assert_eq!(err, ChainFault::Edited { seq: 2, line: 2 });
}

#[test]
fn a_mark_edited_or_signed_by_another_key_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let c = Chain::new(tmp.path());
    c.append(1..=5);
    c.verify(false).unwrap();
    let good = c.mark();
    // Its seq bumped.
    let mut bumped = good.clone();
    bumped["mark"]["seq"] = json!(6);
    std::fs::write(c.dir.join(MARK_FILE), bumped.to_string()).unwrap();
    let v = c.verify(false).unwrap();
    let Start::First { why: Some(why) } = &v.start else {
        panic!("{:?}", v.start)
    };
    assert!(
        why.contains("not signed by the host's checkpoint key"),
        "{why}"
    );
    assert_eq!(v.verified_now(), 5);
    // Signed by another key.
    let body: MarkBody = serde_json::from_value(good["mark"].clone()).unwrap();
    let other = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let dir = cap_std::fs::Dir::open_ambient_dir(&c.dir, cap_std::ambient_authority()).unwrap();
    write_mark(&dir, body, &other).unwrap();
    let v = c.verify(false).unwrap();
    assert!(
        matches!(&v.start, Start::First { why: Some(w) } if w.contains("not signed")),
        "{:?}",
        v.start
    );
    assert_eq!(v.marked, Marked::Written);
    // A verifier without the signing key leaves no mark.
    let how = MarkOptions::default();
    let v = verify_incremental(
        &c.log,
        &c.cps,
        &c.keys(),
        &VerifyOptions::default(),
        &how,
        &mut |_, _| {},
    )
    .unwrap();
    assert!(matches!(v.marked, Marked::Not(_)), "{:?}", v.marked);
    assert!(matches!(v.start, Start::Mark { .. }), "{:?}", v.start);
}

#[test]
fn a_log_cut_below_the_mark_is_a_fault() {
    let tmp = tempfile::tempdir().unwrap();
    let c = Chain::new(tmp.path());
    c.append(1..=8);
    c.verify(false).unwrap();
    let text = std::fs::read_to_string(&c.log).unwrap();
    let kept: Vec<&str> = text.lines().take(6).collect();
    std::fs::write(&c.log, kept.join("\n") + "\n").unwrap();
    let err = c.verify(false).unwrap_err();
    assert!(matches!(err, ChainFault::BelowMark { seq: 8, .. }), "{err}");
    // Without the checkpoints, --full still finds it against the mark.
    std::fs::remove_file(&c.cps).unwrap();
    let err = c.verify(true).unwrap_err();
    assert!(matches!(err, ChainFault::BelowMark { seq: 8, .. }), "{err}");
    assert!(err.to_string().contains("ends at seq 6"), "{err}");
}

#[test]
fn a_history_rewritten_under_the_mark_is_a_fault() {
    let tmp = tempfile::tempdir().unwrap();
    let c = Chain::new(tmp.path());
    c.append(1..=5);
    c.verify(false).unwrap();
    // Someone with the MAC and checkpoint keys writes another history of
    // five records, with its own checkpoints, over this one.
    let forged = Chain {
        keys: c.keys.clone(),
        dir: tmp.path().join("forged"),
        log: tmp.path().join("forged/audit.jsonl"),
        cps: tmp.path().join("forged/checkpoints.jsonl"),
    };
    forged.append(101..=105);
    assert_eq!(forged.full_chain().records, 5);
    std::fs::copy(&forged.log, &c.log).unwrap();
    std::fs::copy(&forged.cps, &c.cps).unwrap();
    for full in [false, true] {
        let err = c.verify(full).unwrap_err();
        assert!(
            matches!(err, ChainFault::MarkContradicted { seq: 5, line: 5 }),
            "{err}"
        );
    }
    // Without the mark, it would pass.
    std::fs::remove_file(c.dir.join(MARK_FILE)).unwrap();
    assert!(c.verify(false).is_ok());
}
