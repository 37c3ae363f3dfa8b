//! The releases of the rules, archived beside the audit chain,
//! content-addressed: `releases/<hex>.json` is a release document (its
//! canonical bytes: the name is their SHA-256), `releases/files/<hex>` the
//! content of a file a release names. The chain's `config.applied` records
//! name releases by digest; with this folder an auditor reads exactly the
//! rules of any moment, offline, and a host reads the files of the release
//! in force from here, never from the operator's working copies.
//! `releases/current` names the last release this chain recorded.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use cap_std::fs::Dir;

use crate::keys::sha256_hex;
use crate::privfs::{create_private_dir, private_subdir, write_new};

/// The archive of one chain.
#[derive(Debug)]
pub struct ReleaseArchive {
    dir: Dir,
    files: Dir,
    path: PathBuf,
}

/// Why the archive could not be used.
#[derive(Debug, thiserror::Error)]
#[error("the release archive {path}: {why}")]
pub struct ArchiveError {
    path: PathBuf,
    why: String,
}

fn hex(digest: &str) -> &str {
    digest.trim_start_matches("sha256:")
}

impl ReleaseArchive {
    /// Open (creating) the archive beside the chain in `audit_dir`.
    ///
    /// # Ambient Authority
    ///
    /// Creates `audit_dir/releases`, a directory the operator's config
    /// places.
    ///
    /// # Errors
    ///
    /// When it cannot be created.
    pub fn open(audit_dir: &Path) -> Result<Self, ArchiveError> {
        let path = audit_dir.join("releases");
        let err = |e: std::io::Error| ArchiveError {
            path: path.clone(),
            why: e.to_string(),
        };
        let dir = create_private_dir(&path).map_err(err)?;
        let files = private_subdir(&dir, "files").map_err(err)?;
        Ok(Self { dir, files, path })
    }

    /// Open the archive of a chain that exists (for reading).
    ///
    /// # Ambient Authority
    ///
    /// Opens `audit_dir/releases`.
    ///
    /// # Errors
    ///
    /// When there is none.
    pub fn existing(audit_dir: &Path) -> Result<Self, ArchiveError> {
        let path = audit_dir.join("releases");
        let err = |e: std::io::Error| ArchiveError {
            path: path.clone(),
            why: e.to_string(),
        };
        let dir = Dir::open_ambient_dir(&path, cap_std::ambient_authority()).map_err(err)?;
        let files = dir.open_dir("files").map_err(err)?;
        Ok(Self { dir, files, path })
    }

    /// The folder of the files, by hex digest (for reading a release's
    /// files by path).
    pub fn files_dir(&self) -> PathBuf {
        self.path.join("files")
    }

    fn err(&self, why: impl std::fmt::Display) -> ArchiveError {
        ArchiveError {
            path: self.path.clone(),
            why: why.to_string(),
        }
    }

    /// Keep `bytes` under their digest (once; refused if they do not hash
    /// to `digest`).
    ///
    /// # Errors
    ///
    /// When the content is not that digest's, or cannot be written.
    pub fn put_file(&self, digest: &str, bytes: &[u8]) -> Result<(), ArchiveError> {
        put(&self.files, hex(digest), bytes).map_err(|e| self.err(e))
    }

    /// Keep a release document (its canonical bytes) under `digest`.
    ///
    /// # Errors
    ///
    /// As [`ReleaseArchive::put_file`].
    pub fn put_release(&self, digest: &str, doc: &[u8]) -> Result<(), ArchiveError> {
        put(&self.dir, &format!("{}.json", hex(digest)), doc).map_err(|e| self.err(e))
    }

    /// Whether a file of that digest is kept.
    pub fn has_file(&self, digest: &str) -> bool {
        self.files.exists(hex(digest))
    }

    /// The release document of `digest`, checked against its digest.
    ///
    /// # Errors
    ///
    /// When it is missing, or its bytes are not that digest's (edited).
    pub fn release(&self, digest: &str) -> Result<Vec<u8>, ArchiveError> {
        let name = format!("{}.json", hex(digest));
        let mut bytes = Vec::new();
        self.dir
            .open(&name)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| self.err(format!("release {digest}: {e}")))?;
        if sha256_hex(&bytes) != hex(digest) {
            return Err(self.err(format!(
                "release {digest}: its archived document does not hash to its digest (edited)"
            )));
        }
        Ok(bytes)
    }

    /// The content of a file of `digest`, checked.
    ///
    /// # Errors
    ///
    /// When it is missing or edited.
    pub fn file(&self, digest: &str) -> Result<Vec<u8>, ArchiveError> {
        let mut bytes = Vec::new();
        self.files
            .open(hex(digest))
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| self.err(format!("file {digest}: {e}")))?;
        if sha256_hex(&bytes) != hex(digest) {
            return Err(self.err(format!(
                "file {digest}: its archived content does not hash to its digest (edited)"
            )));
        }
        Ok(bytes)
    }

    /// The last release this chain recorded, if any.
    pub fn current(&self) -> Option<String> {
        let mut text = String::new();
        self.dir
            .open("current")
            .and_then(|mut f| f.read_to_string(&mut text))
            .ok()?;
        Some(text.trim().to_owned()).filter(|t| !t.is_empty())
    }

    /// Note that this chain recorded release `digest`.
    ///
    /// # Errors
    ///
    /// When the note cannot be written.
    pub fn set_current(&self, digest: &str) -> Result<(), ArchiveError> {
        // A temporary name of this writer's own: processes sharing the
        // archive (a server and a CLI command on one state directory) each
        // write theirs and rename it into place; with one fixed name, one
        // removed the other's before it was renamed.
        let tmp = format!("{}.tmp", crate::vocab::random_id("current", 8));
        write_new(&self.dir, &tmp, digest.as_bytes(), 0o600).map_err(|e| self.err(e))?;
        self.dir.rename(&tmp, &self.dir, "current").map_err(|e| {
            let _ = self.dir.remove_file(&tmp);
            self.err(e)
        })
    }
}

/// Write `bytes` as `name` in `dir` unless a file of that name (whose name
/// is the content's digest) is there already.
fn put(dir: &Dir, name: &str, bytes: &[u8]) -> Result<(), String> {
    let want = name.trim_end_matches(".json");
    if sha256_hex(bytes) != want {
        return Err(format!("{name}: the content does not hash to its name"));
    }
    if dir.exists(name) {
        return Ok(());
    }
    match write_new(dir, name, bytes, 0o600) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(format!("{name}: {e}")),
    }
}
