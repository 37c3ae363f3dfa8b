//! The tools a component reports, probed once per test process.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use warrant::{Sandbox, SandboxConfig, ToolSpec};

/// The tools a built component reports (probed once per test process).
///
/// # Panics
///
/// When the component cannot be probed.
pub async fn probe_tools(package: &'static str) -> Vec<ToolSpec> {
    probe_bytes(package, &crate::component_bytes(package)).await
}

pub(crate) async fn probe_bytes(key: &str, bytes: &[u8]) -> Vec<ToolSpec> {
    static CACHE: OnceLock<Mutex<HashMap<String, Vec<ToolSpec>>>> = OnceLock::new();
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(t) = cache.lock().unwrap().get(key) {
        return t.clone();
    }
    let sandbox = SANDBOX.get_or_init(|| {
        Sandbox::new(SandboxConfig {
            max_instances: 16,
            cache_dir: Some(crate::workspace_root().join("target/warrant-test-cache")),
            ..SandboxConfig::default()
        })
        .expect("sandbox")
    });
    let tools = sandbox.probe(bytes).await.expect("probe").tools().to_vec();
    cache.lock().unwrap().insert(key.to_owned(), tools.clone());
    tools
}
