//! `warrant keygen`

use std::path::PathBuf;
use std::process::ExitCode;

use crate::keys::{Algorithm, generate, write_key_files};
use anyhow::anyhow;

/// Create a key and write it to DIR/ID.key (private, mode 0600) and, for
/// ed25519, DIR/ID.pub (a [[trust.keys]] entry for warrant.toml).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// ed25519 (publisher keys; verifiers need only the public key) or
    /// hmac-sha256 (a secret the operator holds and the host reads).
    #[arg(long, value_parser = ["ed25519", "hmac-sha256"])]
    pub algorithm: String,
    /// Key id, e.g. example-secops-2026.
    #[arg(long)]
    pub id: String,
    /// Directory to write the key files to.
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let algorithm: Algorithm = a.algorithm.parse().map_err(|e: String| anyhow!(e))?;
    if a.id.is_empty()
        || !a
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(anyhow!(
            "key id {:?} must be letters, digits, '-', '_' or '.'",
            a.id
        ));
    }
    let key = generate(&a.id, algorithm).map_err(|e| anyhow!(e))?;
    for path in write_key_files(&key, &a.out).map_err(|e| anyhow!(e))? {
        println!("wrote {}", path.display());
    }
    match algorithm {
        Algorithm::Ed25519 => println!(
            "Sign with: warrant sign MANIFEST --key {}\nTrust it: paste {} into warrant.toml",
            a.out.join(format!("{}.key", a.id)).display(),
            a.out.join(format!("{}.pub", a.id)).display()
        ),
        Algorithm::HmacSha256 => println!(
            "Trust it in warrant.toml:\n[[trust.keys]]\nid = {:?}\nalgorithm = \"hmac-sha256\"\nsecret-file = {:?}",
            a.id,
            a.out.join(format!("{}.key", a.id)).display().to_string()
        ),
    }
    Ok(ExitCode::SUCCESS)
}
