//! The audit record format is a contract (`host/docs/audit-format.md`):
//! one golden record per kind in `tests/golden/audit/v<FORMAT_VERSION>/`,
//! with fixed values, byte for byte — line, hash and MAC. A change of the
//! serialised form fails here until the format version is bumped and the
//! new goldens are written (`WARRANT_BLESS=1`); the goldens of earlier
//! versions stay and must still verify.

use std::path::Path;

use warrant::audit::event::{
    ApprovalDecided, ApprovalRef, ApprovalRequested, Attribution, AuditRecovered, CallCompleted,
    CallDecided, CallInterrupted, ConfigApplied, ConfigRefused, ConfigReloaded, CredentialRef, Decision, DecisionResult,
    ExchangeRefused, OperatorAction, PluginLoaded, PluginRefused, PolicyShadow, PolicySide,
    TokenExchanged, TokenIssued, VersionReset,
};
use warrant::audit::{Event, FORMAT_VERSION, GENESIS, Record, is_operator_kind};
use warrant::governance::{ReleaseRef, ReleaseSignature};
use warrant::keys::{ActionBody, ActionKind, IssueRequest, SignedAction};

use crate::audit_samples::{delegated, session};
use warrant::state::ApprovalBinding;
use warrant::vocab::{CapabilityUse, Impact};

const MAC_KEY: &[u8] = b"warrant audit golden test key -- not a secret";
/// The release of the rules the sample records were decided under.
fn release() -> ReleaseRef {
    ReleaseRef {
        version: 7,
        digest: "sha256:3f0c5a1e7d2b9c48e6f1a0b3d5c7e9f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c1d3".into(),
    }
}

const DIGEST: &str = "sha256:9d73ef75979f09a87825b6a1cc97f53c509c6bc6b56396d63c63ea718eab1b93";

fn who() -> Attribution {
    Attribution {
        release: Some(release()),
        call_id: Some("call-0a1b2c3d-7".into()),
        channel: Some("mcp".into()),
        agent: Some("triage-bot".into()),
        agent_owner: Some("alice@soc.example".into()),
        model: Some("claude-sonnet-4-5".into()),
        model_owner: Some("soc-platform-team".into()),
        task: Some("INC-2026-0042".into()),
        token_id: Some("tok-00112233445566778899".into()),
        credential: Some(CredentialRef {
            issuer: "k8s-prod".into(),
            subject: "system:serviceaccount:soc:triage-bot".into(),
            id: "jti-7f3a9c".into(),
            kind: None,
        }),
        tool: Some("case-note.append".into()),
        plugin: Some("case-note".into()),
        plugin_version: Some("0.1.0".into()),
        component_digest: Some(DIGEST.into()),
        manifest_digest: Some(DIGEST.into()),
        signer: Some("example-secops-2026".into()),
        action_owner: Some("soc-tier2".into()),
        impact: Some(Impact::High),
    }
}

/// Carol's action, signed with a fixed key (Ed25519 is deterministic).
fn signed(
    kind: ActionKind,
    target: &str,
    binding: Option<String>,
    issue: Option<IssueRequest>,
    reason: &str,
) -> Option<SignedAction> {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    Some(
        ActionBody {
            kind,
            target: target.into(),
            binding,
            issue,
            reason: reason.into(),
            audience: Some("host-0a1b2c3d4e5f6789".into()),
            operator: "carol".into(),
            key: "carol-2026".into(),
            time: 1_796_040_000,
            nonce: "n-00112233445566778899aabbccddeeff".into(),
        }
        .sign(&key),
    )
}

fn act(
    kind: ActionKind,
    agent: Option<&str>,
    plugin: Option<&str>,
    token: Option<&str>,
) -> OperatorAction {
    let target = agent.or(plugin).or(token).unwrap_or_default();
    OperatorAction {
        release: Some(release()),
        agent: agent.map(str::to_owned),
        plugin: plugin.map(str::to_owned),
        token_id: token.map(str::to_owned),
        by: "carol".into(),
        reason: "incident bridge".into(),
        changed: true,
        signed: signed(kind, target, None, None, "incident bridge"),
    }
}

fn decided(kind: ActionKind) -> ApprovalDecided {
    let binding = ApprovalBinding {
        agent: "triage-bot".into(),
        task: "INC-2026-0042".into(),
        tool: "case-note.append".into(),
        args_digest: "5e1f".repeat(16),
        plugin_version: "0.1.0".into(),
        component_digest: DIGEST.into(),
        tool_digest: "7c2a".repeat(16),
    };
    ApprovalDecided {
        release: Some(release()),
        approval_id: "apr-a1b2c3d4e5f6".into(),
        agent: "triage-bot".into(),
        task: "INC-2026-0042".into(),
        tool: "case-note.append".into(),
        args_digest: "5e1f".repeat(16),
        plugin_version: Some("0.1.0".into()),
        component_digest: Some(DIGEST.into()),
        tool_digest: Some("7c2a".repeat(16)),
        by: "carol".into(),
        reason: "containment confirmed".into(),
        approvals: 1,
        required: 1,
        signed: signed(
            kind,
            "apr-a1b2c3d4e5f6",
            Some(binding.digest()),
            None,
            "containment confirmed",
        ),
    }
}

/// One event of every kind.
fn samples() -> Vec<Event> {
    vec![
        Event::CallDecided(Box::new(CallDecided {
            degraded: None,
            who: who(),
            input_digest: DIGEST.into(),
            input_size: 64,
            args: Some(serde_json::json!({"case_id": "INC-2026-0042", "note": "Blocked 203.0.113.45"})),
            prompt: Some("record the containment".into()),
            context: None,
            decision: Decision {
                result: DecisionResult::AllowWithApproval,
                layer: "approval".into(),
                policies: vec!["baseline-permit".into()],
                reason: String::new(),
            },
            approval: Some(ApprovalRef {
                id: "apr-a1b2c3d4e5f6".into(),
                approver: "carol".into(),
                reason: Some("containment confirmed".into()),
            }),
            approval_id: Some("apr-a1b2c3d4e5f6".into()),
        })),
        Event::CallInterrupted(Box::new(CallInterrupted {
            who: who(),
            decided_seq: 41,
            decision: "allow-with-approval".into(),
            reason: "the host process ended (a crash or a kill) after the call was decided and before its outcome was recorded; the tool may or may not have run".into(),
        })),
        Event::CallCompleted(Box::new(CallCompleted {
            who: who(),
            input_digest: DIGEST.into(),
            input_size: 64,
            outcome: "ok".into(),
            error: None,
            duration_ms: 12,
            output_digest: Some(DIGEST.into()),
            output_size: 40,
            uses: vec![
                CapabilityUse::Http {
                    method: "GET".into(),
                    origin: "https://intel.example:443".into(),
                    path: "/v1/indicators/ip/203.0.113.45".into(),
                    status: Some(200),
                    bytes: 312,
                    refused: None,
                },
                CapabilityUse::Secret {
                    name: "INTEL_API_KEY".into(),
                    granted: true,
                },
            ],
            uses_dropped: 0,
            approval_id: Some("apr-a1b2c3d4e5f6".into()),
        })),
        Event::PolicyShadow(Box::new(PolicyShadow {
            who: who(),
            live: PolicySide {
                result: "needs-approval".into(),
                policies: vec!["high-impact-needs-approval".into()],
            },
            shadow: PolicySide {
                result: "deny".into(),
                policies: vec!["no-notes-after-hours".into()],
            },
        })),
        Event::ApprovalRequested(Box::new(ApprovalRequested {
            approval_id: "apr-a1b2c3d4e5f6".into(),
            who: who(),
            args_digest: "5e1f".repeat(16),
            tool_digest: "7c2a".repeat(16),
            approvers: vec!["carol".into(), "dave".into()],
            why: "policy high-impact-needs-approval holds high-impact calls until a named human approves".into(),
            policies: vec!["high-impact-needs-approval".into()],
            prompt: Some("record the containment in the case file".into()),
            context: None,
        })),
        Event::ApprovalApproved(decided(ActionKind::Approve)),
        Event::ApprovalDenied(decided(ActionKind::Deny)),
        Event::TokenIssued(TokenIssued {
            release: Some(release()),
            token_id: "tok-00112233445566778899".into(),
            agent: "triage-bot".into(),
            agent_owner: Some("alice@soc.example".into()),
            model: Some("claude-sonnet-4-5".into()),
            model_owner: Some("soc-platform-team".into()),
            task: "INC-2026-0042".into(),
            tools: vec!["case-note.append".into(), "log-search.*".into()],
            expires: Some("2026-12-01T13:00:00+00:00".into()),
            by: "carol".into(),
            signed: signed(
                ActionKind::Issue,
                "",
                None,
                Some(IssueRequest {
                    agent: "triage-bot".into(),
                    task: "INC-2026-0042".into(),
                    tools: vec!["case-note.append".into(), "log-search.*".into()],
                    ttl_secs: 3600,
                }),
                "",
            ),
        }),
        Event::TokenExchanged(Box::new(TokenExchanged {
            release: Some(release()),
            token_id: "tok-00112233445566778899".into(),
            agent: "triage-bot".into(),
            agent_owner: Some("alice@soc.example".into()),
            model: Some("claude-sonnet-4-5".into()),
            model_owner: Some("soc-platform-team".into()),
            task: "INC-2026-0042".into(),
            tools: vec!["case-note.append".into()],
            expires: Some("2026-12-01T12:15:00+00:00".into()),
            credential: CredentialRef {
                issuer: "k8s-prod".into(),
                subject: "system:serviceaccount:soc:triage-bot".into(),
                id: "jti-7f3a9c".into(),
                kind: None,
            },
            iss: "https://kubernetes.default.svc".into(),
            credential_expires: Some("2026-12-01T13:00:00+00:00".into()),
            channel: "http".into(),
        })),
        Event::ExchangeRefused(Box::new(ExchangeRefused {
            release: Some(release()),
            error: "invalid_grant".into(),
            reason: "expired (exp 1796040000, clock skew 30s)".into(),
            issuer: Some("k8s-prod".into()),
            subject: None,
            agent: None,
            task: Some("INC-2026-0042".into()),
            credential_digest: DIGEST.into(),
            channel: "http".into(),
        })),
        Event::TokenRevoked(act(ActionKind::Revoke, None, None, Some("tok-00112233445566778899"))),
        Event::AgentQuarantined(act(ActionKind::Quarantine, Some("triage-bot"), None, None)),
        Event::AgentReleased(act(ActionKind::Release, Some("triage-bot"), None, None)),
        Event::HostHalted(act(ActionKind::Halt, None, None, None)),
        Event::HostResumed(OperatorAction {
            signed: delegated(ActionKind::Resume, "", "incident bridge"),
            ..act(ActionKind::Resume, None, None, None)
        }),
        Event::PluginDisabled(act(ActionKind::Disable, None, Some("http-lookup"), None)),
        Event::PluginEnabled(act(ActionKind::Enable, None, Some("http-lookup"), None)),
        Event::PluginLoaded(Box::new(PluginLoaded {
            plugin: "case-note".into(),
            plugin_version: "0.1.0".into(),
            component_digest: DIGEST.into(),
            manifest_digest: DIGEST.into(),
            signer: Some("example-secops-2026".into()),
            tools: vec!["append".into()],
            insecure: false,
        })),
        Event::PluginRefused(Box::new(PluginRefused {
            manifest: Some("manifests/case-note.toml".into()),
            plugin: Some("case-note".into()),
            plugin_version: Some("0.1.0".into()),
            component_digest: None,
            manifest_digest: Some(DIGEST.into()),
            signer: Some("example-secops-2026".into()),
            check: "signature".into(),
            reason: "signature refused: revoked key".into(),
        })),
        Event::VersionReset(VersionReset {
            release: Some(release()),
            plugin: "case-note".into(),
            from: Some("2.0.0".into()),
            by: "carol".into(),
            reason: "published by mistake".into(),
            signed: signed(
                ActionKind::ResetVersion,
                "case-note",
                None,
                None,
                "published by mistake",
            ),
        }),
        Event::ReloadRequested(act(ActionKind::Reload, None, None, None)),
        Event::ConfigReloaded(ConfigReloaded {
            trigger: "operator".into(),
            by: Some("carol".into()),
            loaded: vec!["ioc-extract".into()],
            unloaded: vec!["case-note".into()],
            cancelled_calls: 1,
            applied: true,
            error: None,
        }),
        Event::ConfigApplied(Box::new(ConfigApplied {
            version: 7,
            digest: release().digest,
            previous: Some(
                "sha256:8a1d3c5e7f9b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f".into(),
            ),
            mode: "signed".into(),
            signatures: vec![ReleaseSignature::sign(
                &release().digest,
                "erin-2026",
                &ed25519_dalek::SigningKey::from_bytes(&[11; 32]),
            )],
            signers: vec!["erin".into()],
            narrowing: true,
            changes: vec!["operator mallory is removed".into()],
            trigger: "apply".into(),
        })),
        Event::ConfigRefused(Box::new(ConfigRefused {
            version: 8,
            digest: "sha256:c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6".into(),
            in_force: Some(release()),
            reason: "it needs the signatures of 2 of the governors [erin, frank]; it has 0".into(),
            signers: Vec::new(),
            changes: vec!["operator mallory is added".into(), "operator mallory gains approval right high".into()],
            trigger: "file-change".into(),
        })),
        Event::AuditRecovered(AuditRecovered {
            discarded_bytes: 37,
            reason: "the last line was torn (a crash during a write); no acknowledged record was affected".into(),
        }),
        Event::SessionOpened(session(None)),
        Event::SessionClosed(session(Some("logged out"))),
    ]
}

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
