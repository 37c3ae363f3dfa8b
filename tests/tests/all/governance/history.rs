//! Verification against the rules of the time: an operator removed in a
//! later release keeps her earlier signatures valid; a record signed with a
//! key that first appears in a later release, dated under an earlier one,
//! is reported; every decision names its release and `audit show` says
//! so; a tampered archived release is caught; `policy replay` decides each
//! call under its own release's agents.

use serde_json::json;
use warrant::authz::{PolicyEngine, Refusal};
use warrant::keys::{ActionBody, ActionKind, Algorithm, SigningKey, generate, write_key_files};
use warrant::{CallError, CallRequest};

use super::{governed, run};

async fn call(
    host: &warrant::Host,
    token: &str,
    tool: &str,
    input: serde_json::Value,
) -> warrant::CallResponse {
    host.call(CallRequest {
        token: token.into(),
        tool: tool.into(),
        input: input.into(),
        channel: "lib",
        ..CallRequest::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_are_checked_against_the_rules_of_their_time() {
    let fx = governed().await;
    fx.release(&["erin", "frank"]).await.unwrap();
    // Release 2: triage-bot's owner changes (so that replay can tell).
    fx.edit_config(|t| t.replacen("owner = \"triage-bot-owner\"", "owner = \"alice\"", 1));
    let r2 = fx.release(&["erin", "frank"]).await.unwrap();
    let host = fx.host().await;
    let t = fx.token("triage-bot", "INC-3", &[]).await;
    let ok = call(
        &host,
        &t,
        "ioc-extract.extract",
        json!({"text": "198.51.100.7"}),
    )
    .await;
    assert!(ok.outcome.is_ok(), "{:?}", ok.outcome);
    // dave approves a held call under release 2.
    let note = json!({"case_id": "INC-3", "note": "isolate"});
    let held = call(&host, &t, "case-note.append", note.clone()).await;
    let Err(CallError::Refused(Refusal::PendingApproval { approval_id, .. })) = held.outcome else {
        panic!("not held: {:?}", held.outcome);
    };
    fx.decide("dave", &approval_id, true, "confirmed")
        .await
        .unwrap();
    assert!(
        call(&host, &t, "case-note.append", note)
            .await
            .outcome
            .is_ok()
    );
    host.shutdown("release 3 comes").await;

    // Release 3: dave leaves (narrowing: one signature).
    fx.edit_config(|t| {
        let start = t.find("[[operators]]\nname = \"dave\"").unwrap();
        let end = start + t[start..].find("\n\n").unwrap() + 2;
        format!("{}{}", &t[..start], &t[end..])
    });
    let r3 = fx.release(&["gail"]).await.unwrap();
    assert_eq!(r3.version, 3);
    // His approval, made under release 2, still verifies.
    let (ok, out) = run(&fx, &["audit", "verify"]);
    assert!(
        ok && out.contains("approval.approved: signed by dave"),
        "{out}"
    );

    // Release 4 adds zed; a forged halt signed by zed's key but dated
    // under release 3 (which has no zed) is reported.
    let zed = generate("zed-key", Algorithm::Ed25519).unwrap();
    write_key_files(&zed, &fx.path("operators")).unwrap();
    fx.edit_config(|t| {
        t.replacen(
            "[[operators]]",
            "[[operators]]\nname = \"zed\"\nroles = [\"halt\"]\napproves = []\nkeys = [{ id = \"zed-key\", public-key-file = \"operators/zed-key.pub\" }]\n\n[[operators]]",
            1,
        )
    });
    let r4 = fx.release(&["erin", "frank"]).await.unwrap();
    assert_eq!(r4.version, 4);
    let admin = fx.admin().await;
    let SigningKey::Ed25519(zk) = zed.signing_key().unwrap() else {
        unreachable!()
    };
    let signed = ActionBody {
        kind: ActionKind::Halt,
        target: String::new(),
        binding: None,
        issue: None,
        reason: "forged".into(),
        audience: Some(fx.audience()),
        operator: "zed".into(),
        key: "zed-key".into(),
        time: chrono::Utc::now().timestamp(),
        nonce: "n-forged-0001".into(),
    }
    .sign(&zk);
    let forged = warrant::audit::Event::HostHalted(warrant::audit::event::OperatorAction {
        agent: None,
        plugin: None,
        token_id: None,
        by: "zed".into(),
        reason: "forged".into(),
        changed: true,
        signed: Some(signed),
        release: Some(r3.clone()),
    });
    let saved = std::fs::read(fx.path("state/audit/audit.jsonl")).unwrap();
    admin.audit().append(&forged, true).await.unwrap();
    let (ok, out) = run(&fx, &["audit", "verify"]);
    assert!(
        !ok && out.contains("host.halted without a valid operator signature")
            && out.contains("zed-key"),
        "{out}"
    );
    std::fs::write(fx.path("state/audit/audit.jsonl"), &saved).unwrap();
    let _ = std::fs::remove_file(fx.path("state/audit/checkpoints.jsonl"));
    drop(admin);

    // Every decision names its release; `audit show` says which.
    let recs = crate::hardening::records(&fx);
    let decided: Vec<_> = recs.iter().filter(|r| r.kind == "call").collect();
    assert!(!decided.is_empty());
    assert!(
        decided
            .iter()
            .all(|r| r.data["release"]["digest"] == json!(r2.digest)),
        "{decided:?}"
    );
    for kind in ["token.issued", "approval.approved"] {
        let r = recs.iter().find(|r| r.kind == kind).unwrap();
        assert_eq!(r.data["release"]["version"], json!(2), "{kind}");
    }
    let (ok, out) = run(&fx, &["audit", "show", "--task", "INC-3"]);
    assert!(
        ok && out.contains("rules release 2") && out.contains("under rules release 2"),
        "{out}"
    );

    // Replay: a candidate that forbids alice's agents changes the calls
    // made under release 2 (owner alice) — decided with release 2's
    // agents, not today's.
    std::fs::write(
        fx.path("candidate.cedar"),
        "@id(\"permit\")\npermit (principal, action, resource);\n@id(\"not-alice\")\nforbid (principal, action, resource) when { principal.owner == \"alice\" };\n",
    )
    .unwrap();
    let host = fx.host().await;
    let loaded = host.loaded();
    let today = PolicyEngine::load(
        &[fx.path("candidate.cedar")],
        &loaded.config.agents,
        &loaded.registry.policy_view(),
    )
    .unwrap();
    host.shutdown("replay").await;
    let engines = warrant::authz::replay_engines(
        &recs,
        &[fx.path("candidate.cedar")],
        today,
        &fx.config().audit_dir(),
    )
    .unwrap();
    let report = warrant::authz::replay(&recs, &engines);
    assert_eq!(
        report.by_release.get(&2).copied(),
        Some(report.replayed),
        "{report:?}"
    );
    assert!(report.count("allow", "deny") >= 1, "{report:?}");
    let (ok, out) = run(
        &fx,
        &[
            "policy",
            "replay",
            "--candidate",
            fx.path("candidate.cedar").to_str().unwrap(),
        ],
    );
    assert!(
        ok && out.contains("under the agents and plugins of rules release 2"),
        "{out}"
    );

    // An archived release edited: caught.
    let hex = r2.digest.trim_start_matches("sha256:");
    let doc = fx.path(&format!("state/audit/releases/{hex}.json"));
    let text = std::fs::read_to_string(&doc).unwrap();
    std::fs::write(&doc, text.replacen("alice", "mallory", 1)).unwrap();
    let (ok, out) = run(&fx, &["audit", "verify"]);
    assert!(
        !ok && out.contains("release 2") && out.contains("edited"),
        "{out}"
    );
}
