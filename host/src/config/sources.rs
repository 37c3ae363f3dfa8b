//! Where the files the rules name are read from. A config names files that
//! grant or limit authority — operators' public keys, policies, plugin
//! manifests, an issuer's JWKS, CAs trusted for plugins' HTTPS. Read as
//! written, they come from the operator's disk, relative to the config. A
//! host running under a release of the rules reads each from the release's
//! archive instead, by the digest the release pins for that path — never
//! the file on disk, which anyone with access to the host could have
//! edited since the governors signed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the rules' files come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RuleFiles {
    /// The operator's files on disk, relative to the config's directory.
    #[default]
    Disk,
    /// A release's files: each path as the config writes it, pinned to the
    /// `sha256:` of its content, read from `archive/<hex>`.
    Pinned {
        /// Path as written → `sha256:…`.
        pins: BTreeMap<String, String>,
        /// The content-addressed archive (beside the audit chain).
        archive: PathBuf,
    },
}

impl RuleFiles {
    /// Where to read `rel` (a path as the config writes it), with `dir` the
    /// config's directory.
    ///
    /// # Errors
    ///
    /// Under a release: when the release pins no file at that path, or its
    /// archived copy is missing.
    pub fn locate(&self, dir: &Path, rel: &str) -> Result<PathBuf, String> {
        match self {
            Self::Disk => Ok(dir.join(rel)),
            Self::Pinned { pins, archive } => {
                let digest = pins.get(rel).ok_or_else(|| {
                    format!("the release of the rules in force names no file {rel}")
                })?;
                let path = archive.join(digest.trim_start_matches("sha256:"));
                if !path.is_file() {
                    return Err(format!(
                        "{rel}: the release's archived copy ({digest}) is missing from {}",
                        archive.display()
                    ));
                }
                Ok(path)
            }
        }
    }

    /// Whether a file exists at `rel`: on disk, or pinned by the release.
    pub fn exists(&self, dir: &Path, rel: &str) -> bool {
        match self {
            Self::Disk => dir.join(rel).exists(),
            Self::Pinned { pins, .. } => pins.contains_key(rel),
        }
    }

    /// The digest a release pins for a secret at `key` (secrets are never
    /// archived: their value is read where the config says, and must hash
    /// to this).
    pub fn pinned_secret(&self, key: &str) -> Option<&str> {
        match self {
            Self::Disk => None,
            Self::Pinned { pins, .. } => pins.get(&format!("secret:{key}")).map(String::as_str),
        }
    }
}

/// The config's directory and where its rules' files come from: what the
/// parsing of one config reads files through.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place<'a> {
    pub(crate) dir: &'a Path,
    pub(crate) files: &'a RuleFiles,
}

impl Place<'_> {
    /// Where to read `rel` from.
    pub(crate) fn locate(&self, rel: &str) -> Result<PathBuf, String> {
        self.files.locate(self.dir, rel)
    }

    /// Whether `rel` exists (on disk, or pinned by the release).
    pub(crate) fn exists(&self, rel: &str) -> bool {
        self.files.exists(self.dir, rel)
    }
}
