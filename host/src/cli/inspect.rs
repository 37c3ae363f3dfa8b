//! `warrant inspect`

use std::path::PathBuf;
use std::process::ExitCode;

use crate::manifest::{capability_review, component_path, read_manifest};
use crate::sandbox::{component_interface, describe_import};
use crate::vocab::safe;
use crate::{Sandbox, SandboxConfig};
use anyhow::Context as _;

/// Explain a component or a manifest in plain words.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A component (.wasm) or a plugin manifest (.toml).
    pub file: PathBuf,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let is_manifest = a.file.extension().is_some_and(|e| e == "toml");
    if is_manifest {
        let m = read_manifest(&a.file)?;
        std::io::Write::write_all(&mut std::io::stdout(), capability_review(&m).as_bytes())?;
        let cpath = component_path(&a.file, &m);
        if cpath.is_file() {
            out!();
            describe_component(&cpath).await?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    describe_component(&a.file).await?;
    Ok(ExitCode::SUCCESS)
}

async fn describe_component(path: &PathBuf) -> anyhow::Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let iface = component_interface(&bytes)?;
    out!(
        "Component {} ({} bytes, sha256:{})",
        path.display(),
        bytes.len(),
        crate::keys::sha256_hex(&bytes)
    );
    out!("\nImports ({}):", iface.imports.len());
    for i in &iface.imports {
        out!("  {:<44} {}", safe(i), describe_import(i));
    }
    out!("\nExports: {}", safe(&iface.exports.join(", ")));
    let sandbox = Sandbox::new(SandboxConfig::default())?;
    match sandbox.probe(&bytes).await {
        Ok(plugin) => {
            out!("\nTools ({}):", plugin.tools().len());
            for t in plugin.tools() {
                out!(
                    "  {} [{}] — {}",
                    safe(&t.name),
                    t.impact,
                    safe(&t.description)
                );
                out!("      input: {}", safe(&t.input_schema));
            }
        }
        Err(e) => out!("\nTools: cannot be listed: {}", safe(&e.to_string())),
    }
    Ok(())
}
