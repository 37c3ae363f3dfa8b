//! `warrant keygen`

use std::path::PathBuf;
use std::process::ExitCode;

use crate::keys::{Algorithm, generate, write_key_files};
use anyhow::anyhow;

/// Create a key and write it to DIR/ID.key (private, mode 0600) and, for
/// ed25519, DIR/ID.pub (its public half, for warrant.toml).
///
/// A publisher key signs manifests ([[trust.keys]]); an operator key
/// (--operator NAME) signs that person's approvals and stop buttons
/// ([[operators]] keys). Keep the .key file with its owner: the host needs
/// only the .pub.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// ed25519 (publisher and operator keys; verifiers need only the
    /// public key) or hmac-sha256 (a secret the operator holds and the host
    /// reads; never for operators).
    #[arg(long, value_parser = ["ed25519", "hmac-sha256"], default_value = "ed25519")]
    pub algorithm: String,
    /// Make an operator key for this person (or automation) and print
    /// their [[operators]] entry.
    #[arg(long, value_name = "NAME", conflicts_with = "governor")]
    pub operator: Option<String>,
    /// Make a governor key for this person — who signs releases of the
    /// rules (`warrant config sign`) — and print their `[governance]`
    /// entry.
    #[arg(long, value_name = "NAME")]
    pub governor: Option<String>,
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
    if (a.operator.is_some() || a.governor.is_some()) && algorithm != Algorithm::Ed25519 {
        return Err(anyhow!(
            "operator and governor keys are ed25519: the host must verify their signatures without holding their secret"
        ));
    }
    let key = generate(&a.id, algorithm).map_err(|e| anyhow!(e))?;
    for path in write_key_files(&key, &a.out).map_err(|e| anyhow!(e))? {
        out!("wrote {}", path.display());
    }
    let public = a.out.join(format!("{}.pub", a.id));
    if let Some(name) = &a.governor {
        out!(
            "Sign releases of the rules with: warrant config sign --key {}\nAdd to warrant.toml's [governance] (a change of the governors is itself a release, signed by the governors in force):\n\ngovernors = [{{ id = {:?}, name = {name:?}, public-key-file = {:?} }}]",
            a.out.join(format!("{}.key", a.id)).display(),
            a.id,
            public.display().to_string()
        );
        return Ok(ExitCode::SUCCESS);
    }
    match (&a.operator, algorithm) {
        (Some(name), _) => out!(
            "Sign actions with: --key {} (or WARRANT_OPERATOR_KEY)\nAdd to warrant.toml (roles: halt, quarantine, revoke, issue, disable, reload, reset-version; approves: impact levels or plugin.tool):\n\n[[operators]]\nname = {name:?}\nroles = []\napproves = []\nkeys = [{{ id = {:?}, public-key-file = {:?} }}]",
            a.out.join(format!("{}.key", a.id)).display(),
            a.id,
            public.display().to_string()
        ),
        (None, Algorithm::Ed25519) => out!(
            "Sign with: warrant sign MANIFEST --key {}\nTrust it: paste {} into warrant.toml",
            a.out.join(format!("{}.key", a.id)).display(),
            public.display()
        ),
        (None, Algorithm::HmacSha256) => out!(
            "Trust it in warrant.toml:\n[[trust.keys]]\nid = {:?}\nalgorithm = \"hmac-sha256\"\nsecret-file = {:?}",
            a.id,
            a.out.join(format!("{}.key", a.id)).display().to_string()
        ),
    }
    Ok(ExitCode::SUCCESS)
}
