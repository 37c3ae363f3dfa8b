//! Samples of the records of format 6 for the golden tests: a console
//! session, and an action signed with its key.

use warrant::audit::event::ConsoleSession;
use warrant::keys::{ActionBody, ActionKind, Delegation, SessionLogin, SignedAction};

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
