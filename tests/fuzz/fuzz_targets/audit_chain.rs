//! Audit records and the chain verifier, on a log an attacker edited.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for line in text.lines() {
            if let Ok(r) = serde_json::from_str::<warrant::audit::Record>(line) {
                let _ = r.event();
                let _ = r.compute_hash();
            }
        }
    }
    let dir = std::env::temp_dir().join(format!("warrant-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let log = dir.join("audit.jsonl");
    if std::fs::write(&log, data).is_ok() {
        let keys = warrant::audit::VerifyKeys {
            mac: Some(b"fuzz".to_vec()),
            ..Default::default()
        };
        let _ = warrant::audit::verify_chain(
            &log,
            &dir.join("checkpoints.jsonl"),
            &keys,
            &warrant::audit::VerifyOptions::default(),
            &mut |_, _| {},
        );
    }
});
