//! `warrant audit reindex`: the chain's index rebuilt from the chain, or
//! checked against it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::audit::{AuditIndex, INDEX_FILE};
use crate::cli::audit_paths::paths;

/// Arguments of `audit reindex`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only check: build a fresh index of the chain beside the live one
    /// (then remove it) and say whether the two hold the same. Exit 1 if
    /// they differ (then run `warrant audit reindex`).
    #[arg(long)]
    pub check: bool,
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

fn report(label: &'static str) -> impl FnMut(u64) {
    let start = std::time::Instant::now();
    move |n| {
        if start.elapsed().as_millis() > 300 {
            eprint!("\r{label}: {n} records");
        }
    }
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let (paths, _) = paths(a.log, &a.config)?;
    anyhow::ensure!(
        paths.log.is_file(),
        "there is no audit chain at {}",
        paths.log.display()
    );
    let live = AuditIndex::at(&paths.log, &paths.log.with_file_name(INDEX_FILE))?;
    if !a.check {
        let t = std::time::Instant::now();
        let n = live.reindex(&mut report("indexing"))?;
        eprintln!();
        println!(
            "indexed {n} records of {} into {} in {:.1} s",
            paths.log.display(),
            live.path().display(),
            t.elapsed().as_secs_f64()
        );
        return Ok(ExitCode::SUCCESS);
    }
    live.catch_up()?;
    let dir = paths.log.parent().unwrap_or(std::path::Path::new("."));
    let fresh_dir = tempfile::Builder::new()
        .prefix(".index-check")
        .tempdir_in(dir)
        .with_context(|| format!("cannot make a scratch folder in {}", dir.display()))?;
    let fresh = AuditIndex::at(&paths.log, &fresh_dir.path().join(INDEX_FILE))?;
    let n = fresh.reindex(&mut report("indexing afresh"))?;
    eprintln!();
    // What a running host appends meanwhile: both brought up to the same
    // point (again, if a record came between the two).
    let mut same = false;
    for _ in 0..3 {
        live.catch_up()?;
        fresh.catch_up()?;
        same = live.digest()? == fresh.digest()?;
        if same {
            break;
        }
    }
    if same {
        println!(
            "the index {} matches the chain ({n} records)",
            live.path().display()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "the index {} does not match the chain: run `warrant audit reindex`",
            live.path().display()
        );
        Ok(ExitCode::from(1))
    }
}
