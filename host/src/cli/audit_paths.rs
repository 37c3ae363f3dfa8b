//! What the `audit` subcommands share: where the chain is, and a
//! progress line for long reads.

use std::path::PathBuf;

use crate::HostConfig;
use crate::audit::AuditPaths;
use anyhow::anyhow;

pub(super) fn paths(
    log: Option<PathBuf>,
    config: &std::path::Path,
) -> anyhow::Result<(AuditPaths, Option<HostConfig>)> {
    let cfg = HostConfig::load(config).ok();
    let paths = match (log, &cfg) {
        (Some(l), _) => AuditPaths {
            checkpoints: l.with_file_name("checkpoints.jsonl"),
            log: l,
        },
        (None, Some(c)) => AuditPaths::in_dir(&c.audit_dir()),
        (None, None) => {
            return Err(anyhow!(
                "no --log given and no usable config at {}",
                config.display()
            ));
        }
    };
    Ok((paths, cfg))
}

pub(super) fn progress(label: &'static str) -> impl FnMut(u64, u64) {
    let start = std::time::Instant::now();
    move |done, total| {
        if start.elapsed().as_millis() > 300 && total > 0 {
            eprint!(
                "\r{label}: {:>3}% ({done} of {total} bytes)",
                done * 100 / total
            );
            if done == total {
                eprintln!();
            }
        }
    }
}
