//! Task tokens as presented by an agent: decoded and verified, or refused.
#![no_main]
use std::sync::LazyLock;

static KEY: LazyLock<warrant::authz::TokenKey> = LazyLock::new(|| {
    let file = warrant::keys::KeyFile {
        id: "fuzz".into(),
        algorithm: warrant::keys::Algorithm::HmacSha256,
        secret: "ZnV6ei1rZXktZnV6ei1rZXktZnV6ei1rZXktZnV6ei0=".into(),
    };
    warrant::authz::TokenKey::from_file(&file).expect("a key")
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = KEY.decode(text);
    }
});
