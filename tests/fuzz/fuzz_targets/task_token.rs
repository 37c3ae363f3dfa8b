//! Task tokens as presented by an agent: their key id read, then decoded
//! and verified under a host's public key, or refused.
#![no_main]
use std::sync::LazyLock;

static KEY: LazyLock<warrant::authz::TokenSigner> = LazyLock::new(|| {
    warrant::authz::TokenSigner::new(
        ed25519_dalek::SigningKey::from_bytes(&[7; 32]),
        "host-fuzz".into(),
    )
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let kid = warrant::authz::warrant_kid(text).unwrap_or_else(|| KEY.kid().to_owned());
        let _ = warrant::authz::decode_token(text, &kid, &KEY.published().public_key);
    }
});
