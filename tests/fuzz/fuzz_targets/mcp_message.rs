//! MCP/JSON-RPC messages as they arrive on stdio or HTTP.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Some(line) = warrant::api::check_mcp_message(text)
    {
        assert!(
            serde_json::from_str::<serde_json::Value>(&line).is_ok(),
            "the answer is JSON"
        );
    }
});
