//! Files: host directories mapped into the guest, each read-only or
//! read-write, through `wasi:filesystem` preopens.
//!
//! - manifest: `files = [{ host = "data/intel", guest = "/intel", access = "read" }]`
//!   (the `host` path is the publisher's default);
//! - operator: `[ceilings] files` (directories grants may be placed
//!   under), `[[plugins]] dirs = { "/intel" = "…" }` (places a grant
//!   elsewhere, never widening its access); the host's own state is never
//!   grantable;
//! - sandbox: `wasi:filesystem/types` and `/preopens` are linked for every
//!   plugin (language runtimes import them) and reach only the granted
//!   directories — none without a grant.

mod ceiling;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use wasmtime::component::Linker;
use wasmtime_wasi::filesystem::{WasiFilesystem, WasiFilesystemView};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

pub use ceiling::{check_dir, normal};

use crate::capability::{CallView, Capability, FieldError, GrantError, Grants, NoUse, Resolve};
use crate::vocab::{Access, safe};

/// One directory grant, as the manifest writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileGrantSpec {
    /// The host directory, relative to the operator's config file unless
    /// absolute; the operator may map it elsewhere.
    pub host: String,
    /// The absolute path the guest sees, e.g. `/logs`.
    pub guest: String,
    /// `read` or `read-write`.
    pub access: Access,
}

/// A host directory mapped into the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileGrant {
    /// The directory on the host (resolved by the operator's config).
    pub host: PathBuf,
    /// Where the guest sees it, an absolute path such as `/logs`.
    pub guest: String,
    /// Read-only or read-write.
    pub access: Access,
}

/// The files capability.
#[derive(Debug)]
pub struct Files;

impl Capability for Files {
    const NAME: &'static str = "files";
    const GRANT_DOC: &'static str = "Directories, each mapped to a guest path with an access level.";
    const CEILING_DOC: &'static str = "Directories under which file grants may be placed (relative to the config file unless absolute).";
    const SUPPLY_DOC: &'static str = "Host directories for granted guest paths, by guest path, overriding the manifest's (never widening the access).";
    const ALWAYS_WRITTEN: bool = true;
    type Grant = Vec<FileGrantSpec>;
    type Terms = ();

    fn check(grant: &Self::Grant, _: &Grants) -> Result<(), FieldError> {
        let mut guests = BTreeSet::new();
        for (i, f) in grant.iter().enumerate() {
            if f.host.trim().is_empty() {
                return Err(FieldError::new(format!("[{i}].host"), "must name a directory"));
            }
            if !valid_guest_path(&f.guest) {
                return Err(FieldError::new(
                    format!("[{i}].guest"),
                    format!(
                        "{:?} must be an absolute path like /logs, without '.', '..' or empty parts",
                        f.guest
                    ),
                ));
            }
            if !guests.insert(f.guest.as_str()) {
                return Err(FieldError::new(
                    format!("[{i}].guest"),
                    format!("{:?} is granted twice", f.guest),
                ));
            }
        }
        Ok(())
    }

    fn is_empty(grant: &Self::Grant) -> bool {
        grant.is_empty()
    }

    fn review(grant: &Self::Grant, (): &(), out: &mut Vec<String>) {
        if grant.is_empty() {
            out.push("cannot see any file or directory".into());
        }
        for f in grant {
            let what = match f.access {
                Access::Read => "may READ (list, stat, read) files",
                Access::ReadWrite => "may READ AND WRITE (create, modify, rename, delete) files",
            };
            out.push(format!(
                "{what} under host directory {} (seen inside as {}); nothing outside it, symlinks included",
                safe(&f.host),
                safe(&f.guest)
            ));
        }
    }

    const CEILING: bool = true;
    type Ceiling = Option<Vec<PathBuf>>;

    fn ceiling(written: Option<&[String]>, dir: &Path) -> Result<Self::Ceiling, String> {
        Ok(written.map(|l| l.iter().map(|f| dir.join(f)).collect()))
    }

    const SUPPLY: Option<&'static str> = Some("dirs");
    type Supply = BTreeMap<String, String>;

    fn supply_is_empty(supply: &Self::Supply) -> bool {
        supply.is_empty()
    }

    type Granted = Vec<FileGrant>;

    fn resolve(r: Resolve<'_, Self>) -> Result<Vec<FileGrant>, GrantError> {
        for guest in r.supply.keys() {
            if !r.grant.iter().any(|f| &f.guest == guest) {
                return Err(GrantError::Config(format!(
                    "dirs names {guest}, which the manifest does not grant"
                )));
            }
        }
        let mut files = Vec::new();
        for (i, f) in r.grant.iter().enumerate() {
            let host = r.at.resolve(r.supply.get(&f.guest).unwrap_or(&f.host));
            check_dir(&host, r.ceiling.as_deref(), r.at.state_dir, r.at.protected).map_err(
                |why| GrantError::Ceiling {
                    grant: format!("grants.files[{i}] ({} as {})", f.host, f.guest),
                    why,
                },
            )?;
            // A read-write directory (e.g. for case files) is created on
            // first load; a read-only one must exist.
            if f.access == Access::ReadWrite && !host.exists() {
                crate::privfs::create_private_dir(&host).map_err(|e| {
                    GrantError::Config(format!(
                        "cannot create read-write directory {} for {}: {e}",
                        host.display(),
                        f.guest
                    ))
                })?;
            }
            files.push(FileGrant {
                host,
                guest: f.guest.clone(),
                access: f.access,
            });
        }
        Ok(files)
    }

    fn requested(grant: &Self::Grant, (): &(), dir: &Path) -> Vec<FileGrant> {
        grant
            .iter()
            .map(|f| FileGrant {
                host: dir.join(&f.host),
                guest: f.guest.clone(),
                access: f.access,
            })
            .collect()
    }

    fn ready(granted: &Vec<FileGrant>) -> Result<(), String> {
        match granted.iter().find(|g| !g.host.is_dir()) {
            Some(g) => Err(format!(
                "granted directory {} (for {}) does not exist or is not a directory",
                g.host.display(),
                g.guest
            )),
            None => Ok(()),
        }
    }

    fn for_review(_: &Vec<FileGrant>) -> Vec<FileGrant> {
        // A review maps no directory: the operator places them.
        Vec::new()
    }

    const IMPORTS: &'static [&'static str] = &["wasi:filesystem/types", "wasi:filesystem/preopens"];

    fn describe_import(_: &str, granted: Option<&Vec<FileGrant>>) -> String {
        match granted {
            None => "files — only directories a manifest grants; none otherwise".into(),
            Some(g) if g.is_empty() => "files — imported, inert: no directory is granted".into(),
            Some(g) => {
                let dirs: Vec<String> = g
                    .iter()
                    .map(|f| format!("{} ({})", f.guest, f.access))
                    .collect();
                format!("files — granted: {} only", dirs.join(", "))
            }
        }
    }

    fn link<T: CallView>(l: &mut Linker<T>) -> wasmtime::Result<()> {
        use wasmtime_wasi::p2::bindings::filesystem;
        filesystem::types::add_to_linker::<T, WasiFilesystem>(l, T::filesystem)?;
        filesystem::preopens::add_to_linker::<T, WasiFilesystem>(l, T::filesystem)
    }

    fn wasi(b: &mut WasiCtxBuilder, granted: &Vec<FileGrant>) -> Result<(), String> {
        for grant in granted {
            let perms = match grant.access {
                Access::Read => FsPerms::ReadOnly,
                Access::ReadWrite => FsPerms::ReadWrite,
            };
            b.preopened_dir(&grant.host, &grant.guest, perms)
                .map_err(|e| {
                    format!(
                        "cannot open granted directory {} (for {}): {e}",
                        grant.host.display(),
                        grant.guest
                    )
                })?;
        }
        Ok(())
    }

    type Use = NoUse;

    fn show(u: &NoUse) -> String {
        match *u {}
    }

    fn matches(u: &NoUse, _: &str, _: bool) -> bool {
        match *u {}
    }
}

fn valid_guest_path(p: &str) -> bool {
    p.starts_with('/')
        && p.len() > 1
        && p.len() <= 256
        && !p.ends_with('/')
        && p[1..]
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_paths() {
        assert!(valid_guest_path("/logs"));
        assert!(!valid_guest_path("/logs/../etc"));
        assert!(!valid_guest_path("logs"));
        assert!(!valid_guest_path("/"));
    }
}
