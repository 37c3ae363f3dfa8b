//! `warrant inspect`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::manifest::{Manifest, capability_review, component_path, read_manifest};
use crate::publish::requested_capabilities;
use crate::sandbox::{Capabilities, component_interface, describe_import};
use crate::vocab::safe;
use crate::{Sandbox, SandboxConfig};
use anyhow::Context as _;

/// Explain a component or a manifest in plain words. For a manifest, its
/// component is checked as a host would check it (imports against the
/// grants, limits, instance count); exit 1 if a host would refuse it.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A component (.wasm) or a plugin manifest (.toml).
    pub file: PathBuf,
    /// Keep the compiled component in this directory (see `warrant sign`).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let is_manifest = a.file.extension().is_some_and(|e| e == "toml");
    if !is_manifest {
        describe_component(&a.file, None, a.cache_dir).await?;
        return Ok(ExitCode::SUCCESS);
    }
    let m = read_manifest(&a.file)?;
    std::io::Write::write_all(&mut std::io::stdout(), capability_review(&m).as_bytes())?;
    let cpath = component_path(&a.file, &m);
    if !cpath.is_file() {
        out!("\nComponent {}: not built yet", cpath.display());
        return Ok(ExitCode::SUCCESS);
    }
    out!();
    let terms = match (Manifest {
        tools: Vec::new(),
        ..m.clone()
    })
    .validate()
    {
        Ok(t) => t,
        Err(e) => {
            out!(
                "REFUSED: the manifest cannot be read: {}",
                safe(&e.to_string())
            );
            return Ok(ExitCode::from(1));
        }
    };
    let caps = requested_capabilities(&a.file, &m, &terms);
    let ok = describe_component(&cpath, Some(&caps), a.cache_dir).await?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Print the component; `false` when a host would refuse it under `caps`.
async fn describe_component(
    path: &Path,
    caps: Option<&Capabilities>,
    cache_dir: Option<PathBuf>,
) -> anyhow::Result<bool> {
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
        out!("  {:<44} {}", safe(i), describe_import(i, caps));
    }
    out!("\nExports: {}", safe(&iface.exports.join(", ")));
    let sandbox = Sandbox::new(SandboxConfig {
        fuel: true,
        cache_dir,
        ..SandboxConfig::default()
    })?;
    let loaded = match caps {
        Some(caps) => sandbox.review(&bytes, caps).await,
        None => sandbox.probe(&bytes).await,
    };
    match loaded {
        Ok(plugin) => {
            out!(
                "Instantiation creates {} core instances (this host allows up to {})",
                plugin.footprint().core_instances,
                sandbox.config().max_core_instances
            );
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
            Ok(true)
        }
        Err(e) if caps.is_some() => {
            out!(
                "\nREFUSED: a host would not load this plugin: {}",
                safe(&e.to_string())
            );
            Ok(false)
        }
        Err(e) => {
            out!("\nTools: cannot be listed: {}", safe(&e.to_string()));
            Ok(true)
        }
    }
}
