//! One sample record of every kind, with fixed values, for the golden
//! tests of the audit format (`audit_format.rs`).

mod events;

pub(crate) use events::{claimed_refusal, samples};

use warrant::audit::event::{
    ApprovalDecided, Attribution, ConsoleSession, CredentialRef, OperatorAction,
};
use warrant::governance::ReleaseRef;
use warrant::keys::{ActionBody, ActionKind, Delegation, IssueRequest, SessionLogin, SignedAction};
use warrant::state::ApprovalBinding;
use warrant::vocab::Impact;

/// A console session of carol's (format 6).
pub(crate) fn session(ended: Option<&str>) -> ConsoleSession {
    ConsoleSession {
        operator: "carol".into(),
        session: "session-0123456789abcdef".into(),
        method: "link".into(),
        identity: None,
        not_after: "2026-12-01T20:00:00+00:00".into(),
        ended: ended.map(str::to_owned),
        release: None,
    }
}

/// An action signed in the console: by a session key carol granted with
/// her own key (format 6).
pub(crate) fn delegated(kind: ActionKind, target: &str, reason: &str) -> Option<SignedAction> {
    let carol = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let session = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let pk = session.verifying_key();
    let login = ActionBody {
        kind: ActionKind::ConsoleLogin,
        target: String::new(),
        binding: Some(warrant::keys::session_digest(&pk)),
        issue: None,
        reason: "console login".into(),
        audience: Some("host-0a1b2c3d4e5f6789".into()),
        operator: "carol".into(),
        key: "carol-2026".into(),
        time: 1_796_039_000,
        nonce: "n-login-00112233445566778899aabb".into(),
    }
    .sign(&carol);
    let mut a = ActionBody {
        kind,
        target: target.into(),
        binding: None,
        issue: None,
        reason: reason.into(),
        audience: Some("host-0a1b2c3d4e5f6789".into()),
        operator: "carol".into(),
        key: warrant::keys::session_id(&pk),
        time: 1_796_040_000,
        nonce: "n-ffeeddccbbaa99887766554433221100".into(),
    }
    .sign(&session);
    a.delegation = Some(Box::new(Delegation {
        session: warrant::keys::session_id(&pk),
        session_key: base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            pk.as_bytes(),
        ),
        operator: "carol".into(),
        opened: 1_796_039_010,
        not_after: 1_796_067_810,
        login: SessionLogin::Link {
            login: Box::new(login),
        },
    }));
    Some(a)
}

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
        claimed: None,
        trace: None,
        correlation_id: None,
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
