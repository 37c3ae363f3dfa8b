//! `warrant audit prove`: an RFC 6962 inclusion proof for one record, or a
//! consistency proof between two checkpointed sizes, as JSON — for anyone
//! checking warrant's tree with their own implementation.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cap_std::fs::Dir;
use serde_json::json;

use crate::audit::read_checkpoints;
use crate::audit::tlog::TreeFile;
use crate::cli::audit_paths::paths;

/// Arguments of `audit prove`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The inclusion proof of this record (by seq) in the newest
    /// checkpoint's tree.
    #[arg(long, conflicts_with = "from")]
    pub seq: Option<u64>,
    /// The consistency proof from the checkpoint of this size to the
    /// newest checkpoint.
    #[arg(long)]
    pub from: Option<u64>,
    /// The log (default: the config's audit directory).
    #[arg(long)]
    pub log: Option<PathBuf>,
    /// The host config.
    #[arg(
        long,
        short = 'c',
        env = "WARRANT_CONFIG",
        default_value = "warrant.toml"
    )]
    pub config: PathBuf,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let (p, _) = paths(a.log, &a.config)?;
    let cps = read_checkpoints(&p.checkpoints).map_err(|e| anyhow!(e))?;
    let noted = |size: Option<u64>| {
        cps.iter()
            .filter(|c| c.note.is_some() && size.is_none_or(|s| c.seq == s))
            .max_by_key(|c| c.seq)
            .and_then(|c| c.note.clone().map(|n| (c.seq, n)))
    };
    let (size, note) = noted(None).ok_or_else(|| anyhow!("no checkpoint with a note yet"))?;
    let dir = p.log.parent().unwrap_or(std::path::Path::new("."));
    let dir = Dir::open_ambient_dir(dir, cap_std::ambient_authority())?;
    let tree = TreeFile::open_read(&dir).map_err(|e| anyhow!(e))?;
    let b64 = |v: Vec<tlog_tiles::Hash>| v.iter().map(|h| B64.encode(h.0)).collect::<Vec<_>>();
    let out = match (a.seq, a.from) {
        (Some(seq), _) => json!({
            "checkpoint": note,
            "size": size,
            "seq": seq,
            "leaf_index": seq - 1,
            "proof": b64(tree.inclusion(size, seq).map_err(|e| anyhow!(e))?),
        }),
        (None, Some(old)) => {
            let (_, old_note) = noted(Some(old))
                .ok_or_else(|| anyhow!("no checkpoint of size {old} with a note"))?;
            json!({
                "old_checkpoint": old_note,
                "checkpoint": note,
                "old_size": old,
                "size": size,
                "proof": b64(tree.consistency(size, old).map_err(|e| anyhow!(e))?),
            })
        }
        (None, None) => return Err(anyhow!("give --seq N or --from SIZE")),
    };
    out!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitCode::SUCCESS)
}
