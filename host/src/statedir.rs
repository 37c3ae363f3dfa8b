//! The state directory: the one owner of its layout, of private file and
//! directory creation, and of the host's own keys in it.
//!
//! ```text
//! <state-dir>/            0700
//!   state.db              shared state (SQLite)
//!   keys/                 0700
//!     token-signing.key   Ed25519 key of task tokens     (0600)
//!     audit-mac.key       HMAC key of audit records      (0600)
//!     audit-checkpoint.key Ed25519 key of checkpoints    (0600)
//!     admin.token         credential of automation on the admin API (0600)
//!   audit/                the audit chain (unless `host.audit-dir`)
//!   cache/                compiled components (unless `sandbox.cache-dir`)
//! ```
//!
//! Everything below the directory is reached through a `cap_std` [`Dir`]
//! handle; only opening the directory itself uses the process's ambient
//! authority.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use cap_std::fs::Dir;

use crate::privfs::{create_private_dir, private_subdir, write_new};

use crate::keys::{Algorithm, KeyError, KeyFile, SigningKey, generate};

/// Why the state directory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateDirError {
    /// The directory could not be created or opened.
    #[error("state directory {path}: {why}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        why: String,
    },
    /// A key in it could not be read or created.
    #[error("state directory {}: {error}", path.display())]
    Key {
        /// The directory.
        path: PathBuf,
        /// What failed.
        error: KeyError,
    },
    /// A key file holds a key of the wrong kind.
    #[error("{}: {file} must hold an {expected} key", path.display())]
    WrongKind {
        /// The directory.
        path: PathBuf,
        /// The file.
        file: &'static str,
        /// The algorithm it must have.
        expected: Algorithm,
    },
}

/// One of the host's own keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKey {
    /// Signs task tokens (Ed25519; its public half is published to the
    /// fleet).
    Tokens,
    /// MACs audit records (HMAC-SHA256).
    AuditMac,
    /// Signs audit checkpoints (Ed25519).
    AuditCheckpoint,
}

impl HostKey {
    fn id(self) -> &'static str {
        match self {
            Self::Tokens => "tokens",
            Self::AuditMac => "audit-mac",
            Self::AuditCheckpoint => "audit-checkpoint",
        }
    }

    fn file(self) -> &'static str {
        match self {
            Self::Tokens => "token-signing.key",
            Self::AuditMac => "audit-mac.key",
            Self::AuditCheckpoint => "audit-checkpoint.key",
        }
    }

    fn algorithm(self) -> Algorithm {
        match self {
            Self::AuditMac => Algorithm::HmacSha256,
            Self::Tokens | Self::AuditCheckpoint => Algorithm::Ed25519,
        }
    }
}

/// The file holding the admin API's automation credential, in `keys/`.
pub const ADMIN_TOKEN_FILE: &str = "admin.token";

/// An open state directory.
#[derive(Debug)]
pub struct StateDir {
    path: PathBuf,
    root: Dir,
    keys: Dir,
}

impl StateDir {
    /// Open the state directory at `path`, creating it (and `keys/`) with
    /// mode 0700 if needed.
    ///
    /// # Ambient Authority
    ///
    /// Creates and opens `path`, which the operator's config names.
    ///
    /// # Errors
    ///
    /// [`StateDirError::Dir`].
    pub fn create(path: &Path) -> Result<Self, StateDirError> {
        let err = |e: std::io::Error| StateDirError::Dir {
            path: path.to_owned(),
            why: e.to_string(),
        };
        let root = create_private_dir(path).map_err(err)?;
        let keys = private_subdir(&root, "keys").map_err(err)?;
        Ok(Self {
            path: path.to_owned(),
            root,
            keys,
        })
    }

    /// Open an existing state directory without creating anything (for
    /// verifiers and readers).
    ///
    /// # Ambient Authority
    ///
    /// Opens `path`, which the operator's config names.
    ///
    /// # Errors
    ///
    /// [`StateDirError::Dir`] when it does not exist.
    pub fn open_existing(path: &Path) -> Result<Self, StateDirError> {
        let err = |e: std::io::Error| StateDirError::Dir {
            path: path.to_owned(),
            why: e.to_string(),
        };
        let root = Dir::open_ambient_dir(path, cap_std::ambient_authority()).map_err(err)?;
        let keys = root.open_dir("keys").map_err(err)?;
        Ok(Self {
            path: path.to_owned(),
            root,
            keys,
        })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The shared-state database file (SQLite opens it by path).
    pub fn db_path(&self) -> PathBuf {
        self.path.join("state.db")
    }

    /// The default audit directory, `audit/`.
    pub fn default_audit_dir(&self) -> PathBuf {
        self.path.join("audit")
    }

    /// The default compiled-component cache, `cache/`.
    pub fn default_cache_dir(&self) -> PathBuf {
        self.path.join("cache")
    }

    /// A private subdirectory, created on first use.
    ///
    /// # Errors
    ///
    /// [`StateDirError::Dir`].
    pub fn subdir(&self, name: &str) -> Result<Dir, StateDirError> {
        private_subdir(&self.root, name).map_err(|e| StateDirError::Dir {
            path: self.path.join(name),
            why: e.to_string(),
        })
    }

    /// One of the host's keys, created (mode 0600) on first use. Two
    /// processes creating it at once agree on one.
    ///
    /// # Errors
    ///
    /// [`StateDirError`] when it can be neither read nor created.
    pub fn host_key(&self, which: HostKey) -> Result<SigningKey, StateDirError> {
        if let Some(k) = self.read_host_key(which)? {
            return Ok(k);
        }
        let key = generate(which.id(), which.algorithm()).map_err(|error| self.key_err(error))?;
        match write_new(&self.keys, which.file(), key.to_text().as_bytes(), 0o600) {
            Ok(()) => {}
            // Another process created it first: use theirs.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(self.key_err(KeyError::Write {
                    path: self.key_path(which),
                    why: e.to_string(),
                }));
            }
        }
        self.read_host_key(which)?.ok_or_else(|| {
            self.key_err(KeyError::Read {
                path: self.key_path(which),
                why: "it vanished after it was created".into(),
            })
        })
    }

    /// One of the host's keys if it exists; never creates it.
    ///
    /// # Errors
    ///
    /// [`StateDirError`] when it exists but cannot be read or is of the
    /// wrong kind.
    pub fn read_host_key(&self, which: HostKey) -> Result<Option<SigningKey>, StateDirError> {
        let text = match self.keys.read_to_string(which.file()) {
            Ok(t) => t,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(self.key_err(KeyError::Read {
                    path: self.key_path(which),
                    why: e.to_string(),
                }));
            }
        };
        let file = KeyFile::from_text(&text, &self.key_path(which)).map_err(|e| self.key_err(e))?;
        let key = file.signing_key().map_err(|e| self.key_err(e))?;
        if key.algorithm() != which.algorithm() {
            return Err(StateDirError::WrongKind {
                path: self.path.clone(),
                file: which.file(),
                expected: which.algorithm(),
            });
        }
        Ok(Some(key))
    }

    /// Replace one of the host's keys with a new one (a rotation): the new
    /// key is written beside the old one and moved over it, so a reader
    /// sees one or the other, never a part.
    ///
    /// # Errors
    ///
    /// [`StateDirError`] when it cannot be written.
    pub fn replace_host_key(&self, which: HostKey) -> Result<SigningKey, StateDirError> {
        let key = generate(which.id(), which.algorithm()).map_err(|error| self.key_err(error))?;
        let next = format!("{}.next", which.file());
        let fail = |e: std::io::Error| {
            self.key_err(KeyError::Write {
                path: self.key_path(which),
                why: e.to_string(),
            })
        };
        let _ = self.keys.remove_file(&next);
        write_new(&self.keys, &next, key.to_text().as_bytes(), 0o600).map_err(fail)?;
        self.keys
            .rename(&next, &self.keys, which.file())
            .map_err(fail)?;
        self.host_key(which)
    }

    /// The admin API's automation credential, created (32 random bytes,
    /// mode 0600) on first use.
    ///
    /// # Errors
    ///
    /// [`StateDirError`] when it can be neither read nor created.
    pub fn admin_token(&self) -> Result<String, StateDirError> {
        let path = self.admin_token_path();
        let fail = |why: String| {
            self.key_err(KeyError::Read {
                path: path.clone(),
                why,
            })
        };
        if !self.keys.exists(ADMIN_TOKEN_FILE) {
            let mut secret = [0u8; 32];
            getrandom::fill(&mut secret)
                .map_err(|e| self.key_err(KeyError::Random(e.to_string())))?;
            let text = format!("wadm_{}\n", hex::encode(secret));
            match write_new(&self.keys, ADMIN_TOKEN_FILE, text.as_bytes(), 0o600) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                Err(e) => return Err(fail(e.to_string())),
            }
        }
        let text = self
            .keys
            .read_to_string(ADMIN_TOKEN_FILE)
            .map_err(|e| fail(e.to_string()))?;
        let token = text.trim().to_owned();
        if token.len() < 32 {
            return Err(fail(
                "too short to be a secret; delete it and a new one is created".into(),
            ));
        }
        Ok(token)
    }

    /// Where the admin credential is.
    pub fn admin_token_path(&self) -> PathBuf {
        self.path.join("keys").join(ADMIN_TOKEN_FILE)
    }

    fn key_path(&self, which: HostKey) -> PathBuf {
        self.path.join("keys").join(which.file())
    }

    fn key_err(&self, error: KeyError) -> StateDirError {
        StateDirError::Key {
            path: self.path.clone(),
            error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_created_once_and_private() {
        let tmp = tempfile::tempdir().unwrap();
        let a = StateDir::create(&tmp.path().join("s")).unwrap();
        let b = StateDir::create(&tmp.path().join("s")).unwrap();
        assert!(a.read_host_key(HostKey::Tokens).unwrap().is_none());
        let k1 = a.host_key(HostKey::Tokens).unwrap();
        let k2 = b.host_key(HostKey::Tokens).unwrap();
        assert_eq!(
            k1.sign(crate::keys::Purpose::TaskToken, b"x"),
            k2.sign(crate::keys::Purpose::TaskToken, b"x")
        );
        assert_eq!(
            a.host_key(HostKey::AuditCheckpoint).unwrap().algorithm(),
            Algorithm::Ed25519
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(tmp.path().join("s/keys/token-signing.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
        assert_eq!(a.admin_token().unwrap(), b.admin_token().unwrap());
    }
}
