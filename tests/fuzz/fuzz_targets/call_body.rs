//! HTTP/JSON call bodies and tool inputs: the strict parser and the
//! canonical form the plugin receives (which must parse back to the same
//! value), and signed operator actions (the operator API's bodies).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(v) = warrant::vocab::parse_strict(text)
    {
        let canonical = warrant::vocab::to_canonical(&v);
        let again = warrant::vocab::parse_strict(std::str::from_utf8(&canonical).expect("UTF-8"))
            .expect("the canonical form parses");
        assert_eq!(again, v, "canonical JSON is the same value");
        let _ = serde_json::from_value::<warrant::keys::SignedAction>(v);
    }
});
