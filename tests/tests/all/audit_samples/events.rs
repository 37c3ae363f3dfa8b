//! One event of every record kind.

use warrant::audit::Event;
use warrant::audit::event::{
    ApprovalRef, ApprovalRequested, Attribution, AuditRecovered, CallCompleted, CallDecided,
    CallEnded, CallInterrupted, CallRecord, Claimed, ConfigApplied, ConfigRefused, ConfigReloaded,
    CredentialRef, DecidedAhead, Decision, DecisionResult, ExchangeRefused, OperatorAction,
    PluginLoaded, PluginRefused, PolicyShadow, PolicySide, TokenExchanged, TokenIssued,
    VersionReset,
};
use warrant::capability::CapabilityUse;
use warrant::capability::http::HttpUse;
use warrant::capability::secrets::SecretUse;
use warrant::governance::ReleaseSignature;
use warrant::keys::{ActionKind, IssueRequest};

use super::{DIGEST, act, decided, delegated, release, session, signed, who};

/// One event of every kind.
pub(crate) fn samples() -> Vec<Event> {
    vec![
        Event::Call(Box::new(CallRecord {
            decided: CallDecided {
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
            },
            ended: CallEnded {
                outcome: "ok".into(),
                error: None,
                duration_ms: 12,
                output_digest: Some(DIGEST.into()),
                output_size: 40,
                uses: vec![
                    CapabilityUse::Http(HttpUse {
                        method: "GET".into(),
                        origin: "https://intel.example:443".into(),
                        path: "/v1/indicators/ip/203.0.113.45".into(),
                        status: Some(200),
                        bytes: 312,
                        refused: None,
                        scrubbed: Vec::new(),
                    }),
                    CapabilityUse::Secrets(SecretUse {
                        name: "INTEL_API_KEY".into(),
                        granted: true,
                    }),
                ],
                uses_dropped: 0,
            },
        })),
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
        Event::CallCompleted(Box::new(CallCompleted {
            who: who(),
            input_digest: DIGEST.into(),
            input_size: 64,
            ended: CallEnded {
                outcome: "ok".into(),
                error: None,
                duration_ms: 12,
                output_digest: Some(DIGEST.into()),
                output_size: 40,
                uses: vec![
                    CapabilityUse::Http(HttpUse {
                        method: "GET".into(),
                        origin: "https://intel.example:443".into(),
                        path: "/v1/indicators/ip/203.0.113.45".into(),
                        status: Some(200),
                        bytes: 312,
                        refused: None,
                        scrubbed: Vec::new(),
                    }),
                    CapabilityUse::Secrets(SecretUse {
                        name: "INTEL_API_KEY".into(),
                        granted: true,
                    }),
                ],
                uses_dropped: 0,
            },
            approval_id: Some("apr-a1b2c3d4e5f6".into()),
        })),
        Event::CallInterrupted(Box::new(CallInterrupted {
            who: who(),
            decided_seq: None,
            decision: "allow-with-approval".into(),
            reason: "the host process ended (a crash or a kill) after the call was decided and before its outcome was recorded; the tool may or may not have run".into(),
            decided: Some(Box::new(DecidedAhead {
                at: "2026-12-01T11:59:58.120Z".into(),
                input_digest: DIGEST.into(),
                input_size: 64,
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
            })),
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

/// A call refused before its token verified: the task, agent and token id
/// the token claimed, never believed (`claimed`, format 8), in its one
/// record (format 9). The golden `call.claimed.jsonl` continues the chain
/// of `samples()`.
pub(crate) fn claimed_refusal() -> Event {
    Event::Call(Box::new(CallRecord { decided: CallDecided {
        degraded: None,
        who: Attribution {
            release: Some(release()),
            call_id: Some("call-0a1b2c3d-8".into()),
            channel: Some("http".into()),
            tool: Some("case-note.append".into()),
            claimed: Some(Claimed {
                task: "INC-2026-0042".into(),
                agent: Some("triage-bot".into()),
                token_id: Some("tok-ffeeddccbbaa99887766".into()),
            }),
            ..Attribution::default()
        },
        input_digest: DIGEST.into(),
        input_size: 64,
        args: None,
        prompt: None,
        context: None,
        decision: Decision {
            result: DecisionResult::Deny,
            layer: "token".into(),
            policies: vec![],
            reason: "the token is signed by key wtk-5f1d0c3a9e7b2d48, which no host of this fleet published (a token of another fleet, or forged)".into(),
        },
        approval: None,
        approval_id: None,
    }, ended: CallEnded {
        outcome: "refused".into(),
        error: Some("the token is signed by key wtk-5f1d0c3a9e7b2d48, which no host of this fleet published (a token of another fleet, or forged)".into()),
        duration_ms: 0,
        output_digest: None,
        output_size: 0,
        uses: Vec::new(),
        uses_dropped: 0,
    } }))
}
