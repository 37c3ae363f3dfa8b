//! Key files written by `warrant keygen` and read by `warrant sign` and the
//! host's trust configuration.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::keys::{Algorithm, SigningKey};

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
    /// A message when the secret is not valid base64 of the right length.
    pub fn signing_key(&self) -> Result<SigningKey, String> {
        let bytes = B64
            .decode(self.secret.trim())
            .map_err(|e| format!("key {}: secret is not base64: {e}", self.id))?;
        match self.algorithm {
            Algorithm::Ed25519 => {
                let seed = <[u8; 32]>::try_from(bytes.as_slice())
                    .map_err(|_| format!("key {}: an ed25519 secret is 32 bytes", self.id))?;
                Ok(SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(
                    &seed,
                )))
            }
            Algorithm::HmacSha256 => {
                if bytes.len() < 32 {
                    return Err(format!(
                        "key {}: an hmac-sha256 secret needs at least 32 bytes",
                        self.id
                    ));
                }
                Ok(SigningKey::Hmac(bytes))
            }
        }
    }
}

/// Generate a new key with 32 bytes from the OS's random source.
///
/// # Errors
///
/// A message when the OS has no randomness to give.
pub fn generate(id: &str, algorithm: Algorithm) -> Result<KeyFile, String> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| format!("no randomness from the OS: {e}"))?;
    Ok(KeyFile {
        id: id.to_owned(),
        algorithm,
        secret: B64.encode(secret),
    })
}

/// Read `dir/ID.key`, generating and writing it first if it does not exist
/// (another process creating it at the same moment is fine).
///
/// # Errors
///
/// A message when the key can be neither read nor created.
pub fn load_or_create(dir: &Path, id: &str, algorithm: Algorithm) -> Result<KeyFile, String> {
    let path = dir.join(format!("{id}.key"));
    if !path.exists() {
        let key = generate(id, algorithm)?;
        if let Err(e) = write_key_files(&key, dir)
            && !path.exists()
        {
            return Err(e);
        }
    }
    read_key_file(&path)
}

/// Read a key file.
///
/// # Errors
///
/// A message naming the file and what is wrong with it.
pub fn read_key_file(path: &Path) -> Result<KeyFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read key file {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("key file {}: {e}", path.display()))
}

/// Write `ID.key` (mode 0600) and, for Ed25519, `ID.pub` — a `[[trust.keys]]`
/// entry to paste into `warrant.toml`. Returns the paths written.
///
/// # Errors
///
/// A message when a file exists already or cannot be written.
pub fn write_key_files(key: &KeyFile, dir: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let key_path = dir.join(format!("{}.key", key.id));
    let text = toml::to_string(key).map_err(|e| e.to_string())?;
    write_new(&key_path, &text, true)?;
    let mut written = vec![key_path];
    if let SigningKey::Ed25519(sk) = key.signing_key()? {
        let public = B64.encode(sk.verifying_key().to_bytes());
        let pub_path = dir.join(format!("{}.pub", key.id));
        let snippet = format!(
            "# Trust this publisher key: paste into warrant.toml\n\
             [[trust.keys]]\n\
             id = {:?}\n\
             algorithm = \"ed25519\"\n\
             public-key = {public:?}\n",
            key.id
        );
        write_new(&pub_path, &snippet, false)?;
        written.push(pub_path);
    }
    Ok(written)
}

fn write_new(path: &Path, text: &str, private: bool) -> Result<(), String> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!(
                "{} exists already; refusing to overwrite a key",
                path.display()
            )
        } else {
            format!("cannot write {}: {e}", path.display())
        }
    })?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
