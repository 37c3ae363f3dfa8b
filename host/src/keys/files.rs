//! Key files written by `warrant keygen` and read by `warrant sign`, the
//! host's trust configuration and the state directory.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::keys::{Algorithm, SigningKey};

/// Why a key could not be made, read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read.
    #[error("cannot read key file {path}: {why}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        why: String,
    },
    /// The file is not a key file.
    #[error("key file {path}: {why}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The key material is unusable.
    #[error("key {id}: {why}")]
    Material {
        /// The key id.
        id: String,
        /// What is wrong.
        why: String,
    },
    /// A key file exists already.
    #[error("{} exists already; refusing to overwrite a key", path.display())]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {why}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        why: String,
    },
    /// The OS gave no randomness.
    #[error("no randomness from the OS: {0}")]
    Random(String),
}

/// A private key file (`ID.key`): the key id, algorithm and secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct KeyFile {
    /// The key id.
    pub id: String,
    /// The key's one algorithm.
    pub algorithm: Algorithm,
    /// The secret (Ed25519 seed or HMAC secret), base64.
    pub secret: String,
}

impl KeyFile {
    /// The signing key this file holds.
    ///
    /// # Errors
    ///
    /// [`KeyError::Material`] when the secret is not valid base64 of the
    /// right length.
    pub fn signing_key(&self) -> Result<SigningKey, KeyError> {
        let bad = |why: String| KeyError::Material {
            id: self.id.clone(),
            why,
        };
        let bytes = B64
            .decode(self.secret.trim())
            .map_err(|e| bad(format!("secret is not base64: {e}")))?;
        match self.algorithm {
            Algorithm::Ed25519 => {
                let seed = <[u8; 32]>::try_from(bytes.as_slice())
                    .map_err(|_| bad("an ed25519 secret is 32 bytes".into()))?;
                Ok(SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(
                    &seed,
                )))
            }
            Algorithm::HmacSha256 => {
                if bytes.len() < 32 {
                    return Err(bad("an hmac-sha256 secret needs at least 32 bytes".into()));
                }
                Ok(SigningKey::Hmac(bytes))
            }
        }
    }

    /// The key file's text (TOML).
    pub fn to_text(&self) -> String {
        // Three strings: serialisation cannot fail.
        toml::to_string(self).unwrap_or_default()
    }

    /// Read a key file's text.
    ///
    /// # Errors
    ///
    /// [`KeyError::Format`] naming `path`.
    pub fn from_text(text: &str, path: &Path) -> Result<Self, KeyError> {
        toml::from_str(text).map_err(|e| KeyError::Format {
            path: path.to_owned(),
            why: e.to_string(),
        })
    }

    /// The `[[trust.keys]]` entry (`ID.pub`) for an Ed25519 key, to paste
    /// into `warrant.toml`; `None` for an HMAC key, which has no public half.
    ///
    /// # Errors
    ///
    /// [`KeyError::Material`] when the key is unusable.
    pub fn public_snippet(&self) -> Result<Option<String>, KeyError> {
        let SigningKey::Ed25519(sk) = self.signing_key()? else {
            return Ok(None);
        };
        let public = B64.encode(sk.verifying_key().to_bytes());
        Ok(Some(format!(
            "# Trust this key: paste into warrant.toml\n\
             [[trust.keys]]\n\
             id = {:?}\n\
             algorithm = \"ed25519\"\n\
             public-key = {public:?}\n",
            self.id
        )))
    }
}

/// Generate a new key with 32 bytes from the OS's random source.
///
/// # Errors
///
/// [`KeyError::Random`] when the OS has no randomness to give.
pub fn generate(id: &str, algorithm: Algorithm) -> Result<KeyFile, KeyError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(KeyFile {
        id: id.to_owned(),
        algorithm,
        secret: B64.encode(secret),
    })
}

/// Read a key file.
///
/// # Ambient Authority
///
/// Reads `path` with the process's own authority: it is a path an operator
/// named on the command line or in the config.
///
/// # Errors
///
/// [`KeyError`] naming the file and what is wrong with it.
pub fn read_key_file(path: &Path) -> Result<KeyFile, KeyError> {
    let text = std::fs::read_to_string(path).map_err(|e| KeyError::Read {
        path: path.to_owned(),
        why: e.to_string(),
    })?;
    KeyFile::from_text(&text, path)
}

/// Write `ID.key` (mode 0600) and, for Ed25519, `ID.pub` — a
/// `[[trust.keys]]` entry to paste into `warrant.toml` — into `dir`, which
/// is created if needed. Returns the paths written.
///
/// # Ambient Authority
///
/// Creates and opens `dir`, a directory the operator named.
///
/// # Errors
///
/// [`KeyError`] when a file exists already or cannot be written.
pub fn write_key_files(key: &KeyFile, dir: &Path) -> Result<Vec<PathBuf>, KeyError> {
    let write_err = |path: &Path, e: &dyn std::fmt::Display| KeyError::Write {
        path: path.to_owned(),
        why: e.to_string(),
    };
    let handle = crate::privfs::create_private_dir(dir).map_err(|e| write_err(dir, &e))?;
    let key_name = format!("{}.key", key.id);
    crate::privfs::write_new(&handle, &key_name, key.to_text().as_bytes(), 0o600).map_err(|e| {
        match e.kind() {
            std::io::ErrorKind::AlreadyExists => KeyError::Exists {
                path: dir.join(&key_name),
            },
            _ => write_err(&dir.join(&key_name), &e),
        }
    })?;
    let mut written = vec![dir.join(&key_name)];
    if let Some(snippet) = key.public_snippet()? {
        let pub_name = format!("{}.pub", key.id);
        crate::privfs::write_new(&handle, &pub_name, snippet.as_bytes(), 0o644).map_err(
            |e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => KeyError::Exists {
                    path: dir.join(&pub_name),
                },
                _ => write_err(&dir.join(&pub_name), &e),
            },
        )?;
        written.push(dir.join(pub_name));
    }
    Ok(written)
}
