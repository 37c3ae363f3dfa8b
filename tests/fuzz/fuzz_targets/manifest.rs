//! Manifests: parse, validate, review; never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(m) = warrant::manifest::Manifest::from_toml(text)
    {
        let _ = m.to_toml();
        let _ = warrant::manifest::Manifest::from_toml(&m.to_toml());
    }
});
