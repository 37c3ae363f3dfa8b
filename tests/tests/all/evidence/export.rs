//! A task's evidence — an allowed call, a high-impact call held and
//! approved by dave, prompts and arguments withheld — verified on a clean
//! directory with the public keys only; the inclusion proofs checked by an
//! independent implementation; and each kind of tampering named: an
//! edited record, a removed outcome, a removed approval, a swapped plugin
//! digest, a forged approval, a withheld field whose digest was changed,
//! an altered release, a missing witness.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use warrant::CallError;
use warrant::audit::Record;
use warrant::authz::Refusal;

use super::{WITNESS, rfc9162, run, witness, witnessed};
use crate::accountability::{call, soc};

const TASK: &str = "INC-2026-0042";

/// `evidence verify` from a directory that never ran warrant.
fn verify(clean: &Path, file: &str, witnesses: &str) -> (bool, String) {
    let mut c = Command::new(warrant_tests::fixture_cli());
    if warrant_tests::embeds_cli() {
        c.env(warrant_tests::EMBEDDED_CLI_ENV, "1");
    }
    let out = c
        .args([
            "evidence",
            "verify",
            file,
            "--keys",
            "keys",
            "--require-witnesses",
            witnesses,
        ])
        .current_dir(clean)
        .env_remove("WARRANT_CONFIG")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn records_mut<'a>(b: &'a mut Value, kind: &str) -> Vec<&'a mut Value> {
    b["chains"][0]["records"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .filter(|p| p["record"]["kind"] == kind)
        .collect()
}

/// Re-hash a record after an edit, as someone who edits evidence would.
fn rehash(p: &mut Value) {
    let mut r: Record = serde_json::from_value(p["record"].clone()).unwrap();
    r.hash = r.compute_hash();
    p["record"] = serde_json::to_value(r).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tasks_evidence_verifies_with_public_keys_only_and_tampering_is_named() {
    let fx = soc("20s").await;
    let _w = witness(&fx);
    let host = fx.host().await;
    let t = fx.token("triage-bot", TASK, &[]).await;
    let r = call(
        &host,
        &t,
        "ioc-extract.extract",
        json!({"text": "203.0.113.45 beaconing"}),
    )
    .await;
    assert!(r.outcome.is_ok(), "{:?}", r.outcome);
    // An attempt with an altered token: in the evidence, as claimed.
    let (head, sig) = t.rsplit_once('.').unwrap();
    let flip = if sig.starts_with('A') { 'B' } else { 'A' };
    let forged = format!("{head}.{flip}{}", &sig[1..]);
    let r = call(&host, &forged, "ioc-extract.extract", json!({"text": "x"})).await;
    assert!(r.outcome.is_err());
    let note = json!({"case_id": TASK, "note": "Blocked 203.0.113.45"});
    let held = call(&host, &t, "case-note.append", note.clone()).await;
    let Err(CallError::Refused(Refusal::PendingApproval { approval_id, .. })) = held.outcome else {
        panic!("not held: {:?}", held.outcome);
    };
    fx.decide("dave", &approval_id, true, "containment confirmed")
        .await
        .unwrap();
    let ran = call(&host, &t, "case-note.append", note).await;
    assert!(ran.outcome.is_ok(), "{:?}", ran.outcome);
    host.shutdown("evidence").await;
    witnessed(&fx.path("state/audit")).await;

    let file = fx.path("evidence.json");
    let (ok, out) = run(
        &fx,
        &[
            "evidence",
            "export",
            "--task",
            TASK,
            "--redact",
            "prompts,arguments",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert!(ok && out.contains("from 1 host(s)"), "{out}");
    let (ok, out) = run(
        &fx,
        &[
            "evidence",
            "keys",
            "--out",
            fx.path("keys").to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains("Blocked 203.0.113.45"),
        "the arguments were withheld"
    );

    // A machine that never ran warrant: the file and the public keys.
    let clean = tempfile::tempdir().unwrap();
    std::fs::copy(&file, clean.path().join("evidence.json")).unwrap();
    std::fs::create_dir_all(clean.path().join("keys/hosts")).unwrap();
    for e in std::fs::read_dir(fx.path("keys/hosts")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(
            e.path(),
            clean.path().join("keys/hosts").join(e.file_name()),
        )
        .unwrap();
    }
    std::fs::copy(
        fx.path("keys/witnesses.toml"),
        clean.path().join("keys/witnesses.toml"),
    )
    .unwrap();
    let (ok, out) = verify(clean.path(), "evidence.json", "1");
    assert!(ok, "{out}");
    for says in [
        "VERIFIED",
        &format!("record(s) of task {TASK} on 1 host(s)"),
        "1 refused attempt(s) among them whose token did not verify",
        &format!("witnessed by {WITNESS}"),
        "approval.approved",
        "signed by dave",
        "plugin case-note",
        "plugin ioc-extract",
        "withheld: prompts, arguments",
    ] {
        assert!(out.contains(says), "missing {says:?}: {out}");
    }
    let said = rfc9162(&["inclusion", file.to_str().unwrap()]);
    assert!(said.contains("proof(s) verify"), "{said}");

    // Each tampering, named.
    let bundle: Value = serde_json::from_str(&text).unwrap();
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "an edited record",
            Box::new(|b| {
                records_mut(b, "call")[0]["record"]["data"]["output_size"] = json!(1);
            }),
            "was altered",
        ),
        (
            "a removed outcome",
            Box::new(|b| {
                let rs = b["chains"][0]["records"].as_array_mut().unwrap();
                // The held call's one record.
                let i = rs
                    .iter()
                    .position(|p| {
                        p["record"]["kind"] == "call" && p["record"]["data"]["outcome"] == "held"
                    })
                    .unwrap();
                rs.remove(i);
            }),
            "its outcome is not in the evidence",
        ),
        (
            "a removed approval",
            Box::new(|b| {
                let rs = b["chains"][0]["records"].as_array_mut().unwrap();
                rs.retain(|p| p["record"]["kind"] != "approval.approved");
            }),
            "approval record is not in the evidence",
        ),
        (
            "a swapped plugin digest",
            Box::new(|b| {
                let other = records_mut(b, "call")[0]["record"]["data"]["manifest_digest"].clone();
                let mut ds = records_mut(b, "call");
                let last = ds.last_mut().unwrap();
                last["record"]["data"]["manifest_digest"] = other;
                rehash(last);
            }),
            "not in the checkpointed log",
        ),
        (
            "a forged approval",
            Box::new(|b| {
                let mut a = records_mut(b, "approval.approved");
                a[0]["record"]["data"]["reason"] = json!("the CISO said so");
                rehash(a[0]);
            }),
            "not in the checkpointed log",
        ),
        (
            "a withheld field with another digest",
            Box::new(|b| {
                let mut ds = records_mut(b, "call");
                ds[0]["record"]["data"]["redacted"]["args"] =
                    json!(format!("sha256:{}", "0".repeat(64)));
            }),
            "was altered",
        ),
        (
            "an altered release",
            Box::new(|b| {
                let (_, r) = b["releases"]
                    .as_object_mut()
                    .unwrap()
                    .iter_mut()
                    .next()
                    .unwrap();
                r["version"] = json!(99);
            }),
            "was altered",
        ),
    ];
    for (what, edit, says) in cases {
        let mut b = bundle.clone();
        edit(&mut b);
        std::fs::write(clean.path().join("tampered.json"), b.to_string()).unwrap();
        let (ok, out) = verify(clean.path(), "tampered.json", "1");
        assert!(
            !ok && out.contains("NOT VERIFIED") && out.contains(says),
            "{what} was not named ({says}): {out}"
        );
    }
    // Without the witness's key the checkpoint is not witnessed for you.
    std::fs::remove_file(clean.path().join("keys/witnesses.toml")).unwrap();
    let (ok, out) = verify(clean.path(), "evidence.json", "1");
    assert!(
        !ok && out.contains("cosigned by 0 of the 1 witness(es) required"),
        "{out}"
    );
    let (ok, out) = verify(clean.path(), "evidence.json", "0");
    assert!(ok && out.contains("witnessed by none"), "{out}");
}
