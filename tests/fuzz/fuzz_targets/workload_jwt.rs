//! Workload credentials and access tokens (JWTs) from agents: verified
//! against an issuer with a JWKS file, or refused with a reason.
#![no_main]
use std::sync::LazyLock;

use warrant::identity::{Presented, Verifier};

static VERIFIER: LazyLock<(Verifier, tokio::runtime::Runtime)> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("warrant-fuzz-jwt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("jwks.json"),
        r#"{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","kid":"k1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#,
    )
    .expect("jwks");
    let config = warrant::HostConfig::from_toml(
        "[[issuers]]\nid = \"w\"\nissuer = \"https://w.test\"\naudiences = [\"warrant\"]\njwks-file = \"jwks.json\"\naccess-tokens = true\n[api]\nresource = \"https://r.test/mcp\"\n",
        &dir.join("warrant.toml"),
    )
    .expect("config");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    (Verifier::new(&config).expect("verifier"), rt)
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (v, rt) = &*VERIFIER;
    for what in [
        Presented::Workload,
        Presented::AccessToken {
            resource: "https://r.test/mcp",
        },
    ] {
        let _ = rt.block_on(v.verify(text, what, 1_800_000_000));
    }
});
