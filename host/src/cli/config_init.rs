//! `warrant config init`: add a `[governance]` table naming the governors
//! to an existing warrant.toml. Nothing is in force until the governors
//! sign the release the file then makes and it is applied.

use std::process::ExitCode;

use anyhow::anyhow;

use crate::cli::ConfigArg;
use crate::vocab::safe;

/// Arguments of `config init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// A governor: NAME=PUBLIC_KEY_FILE (an `ID.pub` from `warrant keygen
    /// --governor`; the key id is the file's). Give one per governor.
    #[arg(long = "governor", value_name = "NAME=FILE", required = true)]
    pub governors: Vec<String>,
    /// Signatures a release needs (default: all governors).
    #[arg(long)]
    pub threshold: Option<u32>,
    /// Signatures a release that only narrows authority needs.
    #[arg(long)]
    pub narrowing_threshold: Option<u32>,
    #[command(flatten)]
    pub config: ConfigArg,
}

pub fn run(a: &InitArgs) -> anyhow::Result<ExitCode> {
    let path = &a.config.config;
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow!("cannot read {}: {e}", path.display()))?;
    let parsed: crate::config::ConfigFile =
        toml::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    if !parsed.governance.governors.is_empty() || parsed.governance.mode.is_some() {
        return Err(anyhow!(
            "{} has a [governance] table already: change it in the file and sign the release (`warrant config diff`, `sign`, `apply`)",
            path.display()
        ));
    }
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let mut entries = Vec::new();
    for g in &a.governors {
        let (name, file) = g
            .split_once('=')
            .ok_or_else(|| anyhow!("{g:?}: give a governor as NAME=PUBLIC_KEY_FILE"))?;
        let file = std::path::Path::new(file);
        let id = file
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| anyhow!("{}: not a key file name", file.display()))?;
        // The key must be readable and an Ed25519 public key now.
        let key_text = std::fs::read_to_string(if file.is_absolute() {
            file.to_path_buf()
        } else {
            std::env::current_dir()?.join(file)
        })
        .map_err(|e| anyhow!("{}: {e}", file.display()))?;
        let key = crate::keys::parse_ed25519_public(&key_text).map_err(|e| anyhow!(e.0))?;
        let b64 =
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, key.to_bytes());
        entries.push(format!(
            "  {{ id = {id:?}, name = {name:?}, public-key = {b64:?} }},"
        ));
    }
    let n = u32::try_from(entries.len()).unwrap_or(u32::MAX);
    let threshold = a.threshold.unwrap_or(n);
    if threshold == 0 || threshold > n {
        return Err(anyhow!(
            "--threshold {threshold} of {n} governors: between 1 and {n}"
        ));
    }
    let mut table = format!(
        "\n# Who may change the rules above: a release takes effect only with the\n# signatures of {threshold} of these governors (`warrant config sign`, then\n# `warrant config apply`).\n[governance]\nmode = \"signed\"\nthreshold = {threshold}\n"
    );
    if let Some(t) = a.narrowing_threshold {
        table.push_str(&format!("narrowing-threshold = {t}\n"));
    }
    table.push_str("governors = [\n");
    table.push_str(&entries.join("\n"));
    table.push_str("\n]\n");
    let _ = dir;
    std::fs::write(
        path,
        format!("{}{table}", text.trim_end_matches('\n').to_owned() + "\n"),
    )
    .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    out!(
        "added [governance] with {} governor(s), threshold {threshold}, to {}.\nNext: each governor runs `warrant config sign --key THEIR.key` (review first with `warrant config diff`), then `warrant config apply`.",
        entries.len(),
        safe(&path.display().to_string())
    );
    Ok(ExitCode::SUCCESS)
}
