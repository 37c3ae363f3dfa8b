//! The audit chain, produced by real calls and checked by the real CLI:
//! verification, every kind of tampering, crash recovery, failing closed,
//! the task timeline and the OCSF export.

use std::time::Duration;

use serde_json::{Value, json};
use warrant::audit::{OCSF_REQUIRED, Record};
use warrant::operator::Stop;
use warrant::{CallError, CallRequest, Host};
use warrant_tests::{Fixture, PluginSpec};

const POLICY: &str = r#"
@id("permit")
permit (principal, action, resource);
@id("high-needs-approval")
forbid (principal, action, resource) when { context.impact == "high" } unless { context.approved };
@id("no-panics-on-fridays")
forbid (principal, action == Action::"adversary.fs", resource) when { context.args has op && context.args.op == "remove" };
"#;

pub(crate) async fn fixture() -> Fixture {
    Fixture::builder()
        .plugin(PluginSpec::new("adversary").grants("files = [{ host = \"work\", guest = \"/work\", access = \"read-write\" }]\nsecrets = [\"API_KEY\"]").entry("secrets = { API_KEY = { env = \"HOME\" } }").limits("timeout = \"30s\""))
        .plugin(PluginSpec::new("case-note").grants("files = [{ host = \"cases\", guest = \"/cases\", access = \"read-write\" }]"))
        .agent("triage-bot", &["adversary.*", "case-note.*"])
        .policy(POLICY)
        .build()
        .await
}

pub(crate) async fn call(
    host: &Host,
    token: &str,
    tool: &str,
    input: Value,
    prompt: &str,
) -> Result<String, CallError> {
    host.call(CallRequest {
        token: token.into(),
        tool: tool.into(),
        input: input.into(),
        prompt: Some(prompt.into()),
        context: Some(json!({"ticket": "SOC-1"})),
        channel: "lib",
        progress: None,
        wait: None,
        sender: warrant::authz::Sender::default(),
        trace: None,
        correlation: None,
    })
    .await
    .outcome
}

/// Allowed, denied, approved, failed, cancelled and held calls.
async fn story(fx: &Fixture) -> Host {
    let host = fx.host().await;
    let t = fx.token("triage-bot", "INC-2026-0777", &[]).await;
    call(
        &host,
        &t,
        "adversary.echo",
        json!({"text": "hello"}),
        "say hello",
    )
    .await
    .unwrap();
    call(
        &host,
        &t,
        "adversary.secret",
        json!({"name": "API_KEY"}),
        "read the key",
    )
    .await
    .unwrap();
    assert!(
        call(
            &host,
            &t,
            "adversary.fs",
            json!({"op": "remove", "path": "/work/x"}),
            "delete evidence"
        )
        .await
        .is_err()
    );
    // A token whose signature was altered: refused, yet in the story of
    // the task it claims, marked claimed.
    let (head, sig) = t.rsplit_once('.').unwrap();
    let flip = if sig.starts_with('A') { 'B' } else { 'A' };
    let forged = format!("{head}.{flip}{}", &sig[1..]);
    let r = call(&host, &forged, "adversary.echo", json!({}), "forged").await;
    assert!(r.is_err());
    assert!(
        call(&host, &t, "adversary.panic", json!({}), "crash")
            .await
            .is_err()
    );
    // Approved high-impact call.
    let h = host.clone();
    let t2 = t.clone();
    let held = tokio::spawn(async move {
        call(
            &h,
            &t2,
            "case-note.append",
            json!({"case_id": "INC-2026-0777", "note": "contained"}),
            "record containment",
        )
        .await
    });
    let admin = fx.admin().await;
    let id = loop {
        if let Some(a) = admin.approvals(false).await.unwrap().first() {
            break a.id.clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    fx.decide("carol", &id, true, "verified on the bridge")
        .await
        .unwrap();
    held.await.unwrap().unwrap();
    // Cancelled by a halt.
    let h = host.clone();
    let t3 = t.clone();
    let spinning =
        tokio::spawn(async move { call(&h, &t3, "adversary.spin", json!({}), "spin").await });
    while host.inflight() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    fx.stop("carol", &Stop::Halt, "drill").await.unwrap();
    assert!(spinning.await.unwrap().is_err());
    fx.stop("carol", &Stop::Resume, "drill over").await.unwrap();
    // Held (no decision within the wait).
    assert!(
        call(
            &host,
            &t,
            "case-note.append",
            json!({"case_id": "INC-2026-0777", "note": "second"}),
            "again"
        )
        .await
        .is_err()
    );
    host
}

pub(crate) fn verify(fx: &Fixture, extra: &[&str]) -> (bool, String) {
    let mut args = vec!["audit", "verify"];
    args.extend_from_slice(extra);
    let out = fx.cli(&args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

pub(crate) fn log_path(fx: &Fixture) -> std::path::PathBuf {
    fx.path("state/audit/audit.jsonl")
}

pub(crate) fn lines(fx: &Fixture) -> Vec<String> {
    std::fs::read_to_string(log_path(fx))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_lines(fx: &Fixture, lines: &[String]) {
    std::fs::write(log_path(fx), lines.join("\n") + "\n").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chain_of_real_calls_verifies_and_every_tampering_is_named() {
    let fx = fixture().await;
    let host = story(&fx).await;
    host.shutdown("test over").await;
    let (ok, out) = verify(&fx, &[]);
    assert!(ok, "{out}");
    assert!(
        out.contains("MACs checked") && out.contains("checkpoints verified"),
        "{out}"
    );
    let original = lines(&fx);
    let records: Vec<Record> = original
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = records.iter().map(|r| r.kind.as_str()).collect();
    for k in [
        "token.issued",
        "plugin.loaded",
        "call",
        "approval.requested",
        "approval.approved",
        "host.halted",
        "host.resumed",
    ] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    let outcomes: Vec<&str> = records.iter().filter_map(|r| r.str("outcome")).collect();
    for o in ["ok", "refused", "trap", "cancelled", "held"] {
        assert!(
            outcomes.contains(&o),
            "outcome {o} missing from {outcomes:?}"
        );
    }

    // Editing any field of any record is detected and named — by a full
    // verification: the one above left a mark, and an edit before it that
    // keeps every byte offset is not read again by an incremental one.
    for (i, line) in original.iter().enumerate() {
        let mut v: Value = serde_json::from_str(line).unwrap();
        let data = v["data"].as_object_mut().unwrap();
        let key = data.keys().next().cloned().unwrap();
        data.insert(key, json!("tampered"));
        let mut edited = original.clone();
        edited[i] = v.to_string();
        write_lines(&fx, &edited);
        let (ok, out) = verify(&fx, &["--full"]);
        assert!(
            !ok && out.contains(&format!("record {} (line {})", i + 1, i + 1))
                && out.contains("edited"),
            "record {}: {out}",
            i + 1
        );
    }
    // Editing and re-hashing is caught by the MAC...
    let mut v: Value = serde_json::from_str(&original[3]).unwrap();
    v["data"]["note"] = json!("forged");
    let rehash = warrant::audit::Record {
        data: v["data"].clone(),
        ..serde_json::from_value(v.clone()).unwrap()
    };
    v["hash"] = json!(rehash.compute_hash());
    let mut edited = original.clone();
    edited[3] = v.to_string();
    write_lines(&fx, &edited);
    let (ok, out) = verify(&fx, &["--full"]);
    assert!(
        !ok && out.contains("record 4") && (out.contains("MAC") || out.contains("broken link")),
        "{out}"
    );
    // Deleting a record.
    let mut deleted = original.clone();
    deleted.remove(5);
    write_lines(&fx, &deleted);
    let (ok, out) = verify(&fx, &["--full"]);
    assert!(!ok && out.contains("missing record"), "{out}");
    // Swapping two records.
    let mut swapped = original.clone();
    swapped.swap(6, 7);
    write_lines(&fx, &swapped);
    let (ok, out) = verify(&fx, &["--full"]);
    assert!(!ok && out.contains("reordered"), "{out}");
    // Truncating the tail: the signed checkpoints tell (and the mark).
    write_lines(&fx, &original[..original.len() - 2]);
    let (ok, out) = verify(&fx, &["--full"]);
    assert!(!ok && out.contains("truncated after checkpoint"), "{out}");
    // An auditor without the MAC key, with only the public checkpoint key.
    write_lines(&fx, &original);
    let pk = fx.path("checkpoint.pub");
    let key = warrant::keys::read_key_file(&fx.path("state/keys/audit-checkpoint.key")).unwrap();
    let warrant::keys::SigningKey::Ed25519(sk) = key.signing_key().unwrap() else {
        panic!()
    };
    std::fs::write(&pk, base64_encode(&sk.verifying_key().to_bytes())).unwrap();
    let (ok, out) = verify(&fx, &["--no-mac", "--key", pk.to_str().unwrap()]);
    assert!(ok && out.contains("MAC key not available"), "{out}");
    write_lines(&fx, &original[..original.len() - 1]);
    let (ok, out) = verify(&fx, &["--no-mac", "--key", pk.to_str().unwrap()]);
    assert!(!ok && out.contains("truncated"), "{out}");
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeline_of_a_task_tells_the_whole_story() {
    let fx = fixture().await;
    story(&fx).await.shutdown("done").await;
    let out = fx.cli(&["audit", "show", "--task", "INC-2026-0777"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for needle in [
        "TOKEN",
        "triage-bot → adversary.echo",
        "prompt: say hello",
        "decision: allow",
        "policy permit",
        "uses secret API_KEY (delivered)",
        "decision: deny (layer policy; policy no-panics-on-fridays; rules release 1)",
        "HELD",
        "APPROVED  approval",
        "by carol (verified on the bridge)",
        "case-note.append ok",
        "cancelled",
        "agent owner triage-bot-owner",
        "signed by test-publisher",
        "the token did not verify: it claimed task INC-2026-0777, agent triage-bot",
    ] {
        assert!(text.contains(needle), "{needle:?} not in timeline:\n{text}");
    }
    let json_out = fx.cli(&["audit", "show", "--agent", "triage-bot", "--json"]);
    for line in String::from_utf8_lossy(&json_out.stdout).lines() {
        let r: Record = serde_json::from_str(line).unwrap();
        assert_eq!(r.str("agent"), Some("triage-bot"));
    }
}

#[tokio::test]
async fn agent_strings_cannot_forge_or_split_records() {
    let fx = fixture().await;
    let host = fx.host().await;
    let t = fx.token("triage-bot", "T-1", &[]).await;
    let evil = format!(
        "ok\n{{\"seq\":1,\"kind\":\"approval.approved\"}}\r\x1b[2J\x1b[31mred{}",
        "A".repeat(100_000)
    );
    call(&host, &t, "adversary.echo", json!({"text": "x"}), &evil)
        .await
        .unwrap();
    host.shutdown("done").await;
    let records = lines(&fx);
    for l in &records {
        let r: Record = serde_json::from_str(l).unwrap();
        if let Some(p) = r.data.get("prompt").and_then(Value::as_str) {
            assert!(
                p.len() < 9_000 && p.contains("[cut "),
                "capped: {}",
                p.len()
            );
        }
    }
    assert!(
        !records.iter().any(|l| l.contains('\u{1b}')),
        "escape sequences are escaped"
    );
    let shown = String::from_utf8_lossy(&fx.cli(&["audit", "show"]).stdout).to_string();
    assert!(
        !shown.contains('\u{1b}'),
        "the timeline shows escapes, not terminal control"
    );
    assert!(verify(&fx, &[]).0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ocsf_export_has_the_fields_of_api_activity() {
    let fx = fixture().await;
    story(&fx).await.shutdown("done").await;
    let out = fx.cli(&["audit", "export", "--format", "ocsf"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), lines(&fx).len());
    for e in &events {
        for f in OCSF_REQUIRED {
            assert!(!e[*f].is_null(), "{f} missing in {e}");
        }
        assert_eq!(e["class_uid"], 6003);
        assert_eq!(e["category_uid"], 6);
        let activity = e["activity_id"].as_u64().unwrap();
        assert!([1, 2, 3, 4, 99].contains(&activity));
        assert_eq!(e["type_uid"].as_u64().unwrap(), 6003 * 100 + activity);
        assert!(
            e["time"].as_i64().unwrap() > 1_700_000_000_000,
            "epoch milliseconds"
        );
        assert!([1, 2, 3, 4, 5, 6, 99].contains(&e["severity_id"].as_u64().unwrap()));
        assert_eq!(e["metadata"]["version"], "1.3.0");
        assert!(e["metadata"]["product"]["name"].is_string());
        assert!(e["actor"]["user"]["name"].is_string());
        assert!(e["api"]["operation"].is_string());
        assert!(e["src_endpoint"].is_object());
        assert!([1, 2].contains(&e["status_id"].as_u64().unwrap()));
    }
    let denied = events
        .iter()
        .find(|e| e["metadata"]["event_code"] == "call" && e["status"] == "Failure")
        .unwrap();
    assert_eq!(denied["api"]["operation"], "adversary.fs");
}
