//! The operator's host configuration, `warrant.toml`: trusted keys, plugins,
//! agents, approvers, operators and policies. Relative paths are relative to
//! the config file.

mod model;

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};

use crate::keys::{Algorithm, TrustStore, TrustedKey, VerifyingKey, read_key_file};
use crate::sandbox::{SandboxConfig, parse_duration, parse_size};

pub use model::{
    AgentEntry, ApprovalsSection, ConfigFile, HostSection, KeyEntry, LimitOverrides,
    OperatorsSection, PluginEntry, PolicySection, RatesSection, SandboxSection, SecretSource,
    TrustSection,
};

/// Why the configuration could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {why}")]
    Read {
        /// The config path.
        path: PathBuf,
        /// The I/O error.
        why: String,
    },
    /// Not valid TOML, or an unknown field; the message names the line.
    #[error("config {path}: {message}")]
    Syntax {
        /// The config path.
        path: PathBuf,
        /// What is wrong, with the line.
        message: String,
    },
    /// A value that cannot be used.
    #[error("config {path}: `{field}`: {why}")]
    Invalid {
        /// The config path.
        path: PathBuf,
        /// The field.
        field: String,
        /// What is wrong.
        why: String,
    },
}

/// A loaded configuration with its paths resolved.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// The parsed file.
    pub file: ConfigFile,
    /// The config file's path.
    pub path: PathBuf,
    /// The directory relative paths are resolved against.
    pub dir: PathBuf,
    /// The state directory.
    pub state_dir: PathBuf,
    /// Keys trusted to sign manifests.
    pub trust: TrustStore,
    /// Sandbox settings.
    pub sandbox: SandboxConfig,
    /// Longest task-token lifetime.
    pub max_token_ttl: Duration,
    /// Allowed clock skew for token times.
    pub clock_skew: Duration,
}

impl HostConfig {
    /// Read and check `warrant.toml`.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the file, line or field at fault.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_owned(),
            why: e.to_string(),
        })?;
        Self::from_toml(&text, path)
    }

    /// Check configuration text as if read from `path`.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the line or field at fault.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        let invalid = |field: &str, why: String| ConfigError::Invalid {
            path: path.to_owned(),
            field: field.to_owned(),
            why,
        };
        let state_dir = dir.join(file.host.state_dir.as_deref().unwrap_or(".warrant"));
        let mut sandbox = SandboxConfig {
            cache_dir: Some(match &file.sandbox.cache_dir {
                Some(d) => dir.join(d),
                None => state_dir.join("cache"),
            }),
            fuel: file.sandbox.fuel,
            ..SandboxConfig::default()
        };
        if let Some(m) = &file.sandbox.max_memory {
            sandbox.max_memory =
                parse_size(m).map_err(|e| invalid("sandbox.max-memory", e.to_string()))?;
        }
        if let Some(n) = file.sandbox.max_instances {
            sandbox.max_instances = n;
        }
        let max_token_ttl = match &file.host.max_token_ttl {
            Some(t) => {
                parse_duration(t).map_err(|e| invalid("host.max-token-ttl", e.to_string()))?
            }
            None => Duration::from_secs(3600),
        };
        let clock_skew = match &file.host.clock_skew {
            Some(t) => parse_duration(t).map_err(|e| invalid("host.clock-skew", e.to_string()))?,
            None => Duration::from_secs(30),
        };
        let trust = trust_store(&file.trust, &dir).map_err(|(field, why)| invalid(&field, why))?;
        Ok(Self {
            file,
            path: path.to_owned(),
            dir,
            state_dir,
            trust,
            sandbox,
            max_token_ttl,
            clock_skew,
        })
    }

    /// Where the audit chain lives: `host.audit-dir`, else `audit` in the
    /// state directory.
    pub fn audit_dir(&self) -> PathBuf {
        match &self.file.host.audit_dir {
            Some(d) => self.dir.join(d),
            None => self.state_dir.join("audit"),
        }
    }

    /// Resolve a path from the config against the config's directory.
    pub fn resolve(&self, p: &str) -> PathBuf {
        self.dir.join(p)
    }
}

fn trust_store(section: &TrustSection, dir: &Path) -> Result<TrustStore, (String, String)> {
    let mut keys = Vec::new();
    for (i, k) in section.keys.iter().enumerate() {
        let field = |f: &str| format!("trust.keys[{i}].{f}");
        let key = match k.algorithm {
            Algorithm::Ed25519 => {
                let pk = k.public_key.as_deref().ok_or_else(|| {
                    (
                        field("public-key"),
                        format!("key {} is ed25519 and needs a public-key", k.id),
                    )
                })?;
                if k.secret_file.is_some() || k.secret_env.is_some() {
                    return Err((
                        field("secret-file"),
                        "an ed25519 key is trusted by its public key only".into(),
                    ));
                }
                let bytes = B64
                    .decode(pk.trim())
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
                    .ok_or_else(|| (field("public-key"), "must be 32 bytes, base64".into()))?;
                let vk = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                    .map_err(|e| (field("public-key"), format!("not an ed25519 key: {e}")))?;
                VerifyingKey::Ed25519(vk)
            }
            Algorithm::HmacSha256 => {
                if k.public_key.is_some() {
                    return Err((
                        field("public-key"),
                        "an hmac-sha256 key has no public key; use secret-file or secret-env"
                            .into(),
                    ));
                }
                let secret = match (&k.secret_file, &k.secret_env) {
                    (Some(f), None) => {
                        let kf =
                            read_key_file(&dir.join(f)).map_err(|e| (field("secret-file"), e))?;
                        if kf.algorithm != Algorithm::HmacSha256 || kf.id != k.id {
                            return Err((
                                field("secret-file"),
                                format!(
                                    "{f} holds key {} ({}), not {} (hmac-sha256)",
                                    kf.id, kf.algorithm, k.id
                                ),
                            ));
                        }
                        match kf.signing_key().map_err(|e| (field("secret-file"), e))? {
                            crate::keys::SigningKey::Hmac(s) => s,
                            crate::keys::SigningKey::Ed25519(_) => {
                                unreachable!("algorithm checked above")
                            }
                        }
                    }
                    (None, Some(var)) => {
                        let v = std::env::var(var).map_err(|_| {
                            (
                                field("secret-env"),
                                format!("environment variable {var} is not set"),
                            )
                        })?;
                        B64.decode(v.trim())
                            .map_err(|_| (field("secret-env"), format!("{var} is not base64")))?
                    }
                    _ => {
                        return Err((
                            field("secret-file"),
                            format!(
                                "key {} needs exactly one of secret-file or secret-env",
                                k.id
                            ),
                        ));
                    }
                };
                if secret.len() < 32 {
                    return Err((
                        field("secret-file"),
                        "an hmac-sha256 secret needs at least 32 bytes".into(),
                    ));
                }
                VerifyingKey::Hmac(secret)
            }
        };
        let time =
            |v: &Option<String>, f: &str| -> Result<Option<DateTime<Utc>>, (String, String)> {
                v.as_deref()
                    .map(|s| {
                        DateTime::parse_from_rfc3339(s)
                            .map(|t| t.with_timezone(&Utc))
                            .map_err(|e| (field(f), format!("{s:?} is not an RFC 3339 time: {e}")))
                    })
                    .transpose()
            };
        if keys.iter().any(|t: &TrustedKey| t.id == k.id) {
            return Err((field("id"), format!("key id {} is listed twice", k.id)));
        }
        keys.push(TrustedKey {
            id: k.id.clone(),
            key,
            not_before: time(&k.not_before, "not-before")?,
            not_after: time(&k.not_after, "not-after")?,
        });
    }
    Ok(TrustStore::new(keys, section.revoked.iter().cloned()))
}
