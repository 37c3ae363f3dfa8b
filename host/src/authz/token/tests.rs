//! Task tokens: signing, decoding, key ids, what an unverified token claims.

use super::*;

fn signer(seed: u8) -> TokenSigner {
    TokenSigner::new(
        ed25519_dalek::SigningKey::from_bytes(&[seed; 32]),
        "host-1".into(),
    )
}

fn token(kid: &str) -> TaskToken {
    TaskToken {
        id: "tok-1".into(),
        agent: "triage-bot".into(),
        task: "INC-2026-0042".into(),
        tools: vec!["log-search.*".into()],
        iat: 1,
        nbf: 1,
        exp: 2,
        by: Some("carol".into()),
        aud: None,
        via: None,
        cnf: Some(crate::authz::Confirmation { jkt: "abc".into() }),
        kid: Some(kid.into()),
    }
}

#[test]
fn round_trip_and_tamper() {
    let k = signer(5);
    let public = k.published().public_key;
    let s = k.encode(&token(k.kid()), "fleet-1");
    assert_eq!(warrant_kid(&s).as_deref(), Some(k.kid()));
    let (t, iss) = decode(&s, k.kid(), &public).unwrap();
    assert_eq!((t, iss.as_str()), (token(k.kid()), "fleet-1"));
    // Claims of another token under this token's signature.
    let mut other = token(k.kid());
    other.agent = "other".into();
    let forged = k.encode(&other, "fleet-1");
    let (_, fsig) = s.rsplit_once('.').unwrap();
    let (head, _) = forged.rsplit_once('.').unwrap();
    assert!(matches!(
        decode(&format!("{head}.{fsig}"), k.kid(), &public),
        Err(TokenFormatError::BadSignature(_))
    ));
    // Another key's public half.
    let other_key = signer(6).published().public_key;
    assert!(matches!(
        decode(&s, k.kid(), &other_key),
        Err(TokenFormatError::BadSignature(_))
    ));
    assert_eq!(warrant_kid("Bearer xyz"), None);
    assert_eq!(warrant_kid("a.b.c"), None);
}

#[test]
fn a_token_that_does_not_verify_still_names_its_task() {
    let k = signer(5);
    let s = k.encode(&token(k.kid()), "fleet-1");
    let c = claimed(&s).unwrap();
    assert_eq!(c.task, "INC-2026-0042");
    assert_eq!(c.agent.as_deref(), Some("triage-bot"));
    assert_eq!(c.token_id.as_deref(), Some("tok-1"));
    assert_eq!(claimed("garbage"), None);
    assert_eq!(claimed("a.eyJ3YXJyYW50X3Rhc2siOiIgYmFkIn0.c"), None);
}

#[test]
fn key_ids_are_stable_and_distinct() {
    assert_eq!(signer(5).kid(), signer(5).kid());
    assert_ne!(signer(5).kid(), signer(6).kid());
    assert!(signer(5).kid().starts_with(KID_PREFIX));
}

#[test]
fn patterns() {
    assert!(tool_matches("log-search.*", "log-search.search"));
    assert!(!tool_matches("log-search.*", "log-searchx.search"));
    assert!(tool_matches("ioc-extract.extract", "ioc-extract.extract"));
    let granted = vec![
        "log-search.*".to_string(),
        "ioc-extract.extract".to_string(),
    ];
    assert!(within(&granted, "log-search.search"));
    assert!(within(&granted, "log-search.*"));
    assert!(!within(&granted, "case-note.append"));
    assert!(!within(&granted, "ioc-extract.*"));
}
