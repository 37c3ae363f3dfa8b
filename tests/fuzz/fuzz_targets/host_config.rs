//! Host configs: every field checked; never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ =
            warrant::HostConfig::from_toml(text, std::path::Path::new("/nonexistent/warrant.toml"));
    }
});
