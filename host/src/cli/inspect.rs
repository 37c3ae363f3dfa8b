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
        print!("{}", capability_review(&m));
        let cpath = component_path(&a.file, &m);
        if cpath.is_file() {
            println!();
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
    println!(
        "Component {} ({} bytes, sha256:{})",
        path.display(),
        bytes.len(),
        crate::keys::sha256_hex(&bytes)
    );
    println!("\nImports ({}):", iface.imports.len());
    for i in &iface.imports {
        println!("  {:<44} {}", safe(i), describe_import(i));
    }
    println!("\nExports: {}", safe(&iface.exports.join(", ")));
    let sandbox = Sandbox::new(SandboxConfig::default())?;
    match sandbox.probe(&bytes).await {
        Ok(plugin) => {
            println!("\nTools ({}):", plugin.tools().len());
            for t in plugin.tools() {
                println!(
                    "  {} [{}] — {}",
                    safe(&t.name),
                    t.impact,
                    safe(&t.description)
                );
                println!("      input: {}", safe(&t.input_schema));
            }
        }
        Err(e) => println!("\nTools: cannot be listed: {}", safe(&e.to_string())),
    }
    Ok(())
}
