//! `warrant demo --authors`: the Python and TypeScript example plugins,
//! built from source with their own build scripts (componentize-py from
//! PyPI, jco and componentize-js from npm), signed with the example
//! publisher key the demo keeps in the state directory
//! (`publishers/example-authors.key`, trusted by the example config through
//! `public-key-file`), and loaded beside the Rust ones.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, anyhow};
use serde_json::json;

use crate::config::create_state_dir_publisher_keys;
use crate::keys::read_key_file;
use crate::publish::sign_manifest;
use crate::{Host, HostConfig, Sandbox, SandboxConfig};

/// The examples: plugin id, and what builds it.
const EXAMPLES: &[(&str, &str)] = &[
    ("phish-headers", "Python, componentize-py"),
    ("advisory-lookup", "TypeScript, jco + componentize-js"),
];

/// Create the example publisher key if missing (every run: the example
/// config trusts its public half by file).
pub(super) fn publisher_key(config_path: &Path) -> anyhow::Result<()> {
    create_state_dir_publisher_keys(config_path)?;
    Ok(())
}

/// Build, sign and enable the examples in `config`.
///
/// # Ambient Authority
///
/// Runs the examples' build scripts (which may install their toolchains
/// from PyPI and npm) and writes the signed copies under the state
/// directory.
pub(super) async fn prepare(config: &mut HostConfig) -> anyhow::Result<()> {
    let keys = create_state_dir_publisher_keys(&config.path)?;
    let (key_id, key_path) = keys
        .first()
        .ok_or_else(|| anyhow!("the config trusts no publisher key in the state directory (publishers/…): --authors needs one"))?;
    let key = read_key_file(key_path).map_err(|e| anyhow!(e))?;
    let sandbox = Sandbox::new(SandboxConfig {
        cache_dir: Some(config.sandbox.cache_dir.clone()),
        ..SandboxConfig::default()
    })?;
    for (id, how) in EXAMPLES {
        let src = config.dir.join("../example-plugins").join(id);
        out!("   building {id} ({how}) in {} …", src.display());
        let start = Instant::now();
        let built = Command::new("sh")
            .arg("build.sh")
            .current_dir(&src)
            .output()
            .with_context(|| format!("cannot run {}/build.sh", src.display()))?;
        if !built.status.success() {
            return Err(anyhow!(
                "building {id} failed (it needs {}):\n{}{}",
                if id.starts_with("phish") {
                    "Python 3.11+"
                } else {
                    "Node 20+ and npm"
                },
                String::from_utf8_lossy(&built.stdout),
                String::from_utf8_lossy(&built.stderr)
            ));
        }
        let dest = config.state_dir.join("examples").join(id);
        std::fs::create_dir_all(dest.join("build"))?;
        std::fs::copy(src.join("manifest.toml"), dest.join("manifest.toml"))?;
        std::fs::copy(
            src.join(format!("build/{id}.wasm")),
            dest.join(format!("build/{id}.wasm")),
        )?;
        let manifest = dest.join("manifest.toml");
        let signed = sign_manifest(&manifest, &key, &sandbox).await?;
        std::fs::write(&manifest, signed.manifest.to_toml())?;
        out!(
            "   built and signed {id} with {key_id} in {:.1} s",
            start.elapsed().as_secs_f64()
        );
        let wanted = std::fs::canonicalize(&manifest)?;
        for entry in &mut config.file.plugins {
            if std::fs::canonicalize(config.dir.join(&entry.manifest)).ok() == Some(wanted.clone())
            {
                entry.enabled = true;
            }
        }
    }
    Ok(())
}

/// A call to each example, as the triage agent.
pub(super) async fn calls(host: &Host, token: &str) -> anyhow::Result<()> {
    if let Some(out) = super::show(
        host,
        token,
        "phish-headers.analyze",
        json!({"file": "report-0042.eml", "lookup": true}),
        "is the reported invoice mail a phish? (Python plugin)",
    )
    .await?
    {
        out!(
            "     suspicious {}; {}; origin {} is {}",
            out["suspicious"],
            out["findings"][0],
            out["origin_ip"],
            out["origin_intel"]["verdict"]
        );
    }
    if let Some(out) = super::show(
        host,
        token,
        "advisory-lookup.lookup",
        json!({"cve": "CVE-2026-31337"}),
        "which of our hosts does the new OpenSSH flaw hit? (TypeScript plugin)",
    )
    .await?
    {
        out!(
            "     {} {}, exploited {}; affected {}",
            out["severity"],
            out["cve"],
            out["exploited"],
            out["affected_assets"]
        );
    }
    Ok(())
}
