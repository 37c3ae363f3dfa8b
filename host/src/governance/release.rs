//! A release of the rules: a version (each one more than the last), the
//! digest of the release it follows, the rules, and the digest of every
//! file they name (its content archived beside the audit chain). Its
//! digest is the SHA-256 of its canonical JSON; governors sign that digest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, ConfigFile, HostConfig, RuleFiles};
use crate::governance::Rules;
use crate::keys::sha256_hex;
use crate::vocab::to_canonical;

/// The version of the release document format.
pub const RELEASE_FORMAT: u32 = 1;

/// A release of the rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// The document format ([`RELEASE_FORMAT`]).
    pub format: u32,
    /// Its version: one more than the release it follows (the first is 1).
    pub version: u64,
    /// The digest of the release it follows (none for the first).
    pub previous: Option<String>,
    /// The rules.
    pub rules: Rules,
    /// Every file the rules name, as written → `sha256:` of its content;
    /// and `secret:trust:<key id>` → `sha256:` of an HMAC trust key's
    /// secret (never archived).
    pub files: BTreeMap<String, String>,
    /// The document as it was signed, when read from one: its digest is
    /// over these bytes, whatever fields a newer host reads into
    /// [`Rules`] with their defaults.
    #[serde(skip)]
    pub(crate) document: Option<Vec<u8>>,
}

/// Which release: its version and digest (what every decision record
/// names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRef {
    /// The version.
    pub version: u64,
    /// `sha256:` of the release document.
    pub digest: String,
}

impl std::fmt::Display for ReleaseRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "release {} ({})",
            self.version,
            self.digest.get(..19).unwrap_or(&self.digest)
        )
    }
}

/// Why a release could not be built or used.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// A file the rules name could not be read.
    #[error("{path}: {why}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// The document is not a release.
    #[error("not a release of the rules: {0}")]
    Document(String),
    /// Its rules do not make a usable config.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl Release {
    /// The candidate release of the rules in `config` (as read from its
    /// files), following `previous` — with the content of every file it
    /// names, by digest, for the archive.
    ///
    /// # Ambient Authority
    ///
    /// Reads the files the config names, relative to its directory.
    ///
    /// # Errors
    ///
    /// When a file cannot be read.
    pub fn candidate(
        config: &HostConfig,
        previous: Option<&ReleaseRef>,
    ) -> Result<(Self, BTreeMap<String, Vec<u8>>), ReleaseError> {
        let rules = Rules::of(&config.file);
        let mut files = BTreeMap::new();
        let mut contents = BTreeMap::new();
        for rel in rules.files() {
            let path = config.dir.join(&rel);
            // A file that is not there yet (an operator's key the demo
            // makes later) is simply not part of this release.
            if !path.exists() {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|e| ReleaseError::File {
                path: path.clone(),
                why: e.to_string(),
            })?;
            let digest = format!("sha256:{}", sha256_hex(&bytes));
            files.insert(rel, digest.clone());
            contents.insert(digest, bytes);
        }
        for k in config.trust.keys() {
            if let crate::keys::VerifyingKey::Hmac(secret) = &k.key {
                files.insert(
                    format!("secret:trust:{}", k.id),
                    crate::config::secret_digest(secret),
                );
            }
        }
        Ok((
            Self {
                format: RELEASE_FORMAT,
                version: previous.map_or(1, |p| p.version + 1),
                previous: previous.map(|p| p.digest.clone()),
                rules,
                files,
                document: None,
            },
            contents,
        ))
    }

    /// The canonical JSON: what is hashed, signed and archived — for a
    /// release read from a document, that document's canonical form (a
    /// field added to the rules later, read with its default, changes
    /// nothing that was signed).
    pub fn canonical(&self) -> Vec<u8> {
        if let Some(d) = &self.document {
            return d.clone();
        }
        // Plain data: serialising it cannot fail.
        to_canonical(&serde_json::to_value(self).unwrap_or_default())
    }

    /// `sha256:` of the canonical JSON.
    pub fn digest(&self) -> String {
        format!("sha256:{}", sha256_hex(&self.canonical()))
    }

    /// `sha256:` of the rules and files alone: equal for two releases that
    /// say the same whatever their versions.
    pub fn content_digest(&self) -> String {
        let v = serde_json::json!({"rules": &self.rules, "files": &self.files});
        format!("sha256:{}", sha256_hex(&to_canonical(&v)))
    }

    /// Its version and digest.
    pub fn reference(&self) -> ReleaseRef {
        ReleaseRef {
            version: self.version,
            digest: self.digest(),
        }
    }

    /// Read a release document.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::Document`] when it is not one (unknown fields
    /// included).
    pub fn parse(text: &[u8]) -> Result<Self, ReleaseError> {
        let value: serde_json::Value =
            serde_json::from_slice(text).map_err(|e| ReleaseError::Document(e.to_string()))?;
        let mut r: Self = serde_json::from_value(value.clone())
            .map_err(|e| ReleaseError::Document(e.to_string()))?;
        r.document = Some(to_canonical(&value));
        if r.format != RELEASE_FORMAT {
            return Err(ReleaseError::Document(format!(
                "format {} (this host reads format {RELEASE_FORMAT})",
                r.format
            )));
        }
        Ok(r)
    }

    /// The config a host runs with under this release: the serving
    /// settings of `serving` (the file as read from `path`), these rules,
    /// and the files they name read from `archive` by digest.
    ///
    /// # Errors
    ///
    /// When the rules do not make a usable config (a file missing from the
    /// archive, an HMAC secret that is not the pinned one, …).
    pub fn config(
        &self,
        serving: &ConfigFile,
        path: &Path,
        archive: &Path,
    ) -> Result<HostConfig, ReleaseError> {
        let file = self.rules.apply_to(serving.clone());
        Ok(HostConfig::from_file(
            file,
            path,
            RuleFiles::Pinned {
                pins: self.files.clone(),
                archive: archive.to_owned(),
            },
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_signed_before_a_field_existed_keeps_its_digest() {
        let cfg: ConfigFile = toml::from_str("[[plugins]]\nmanifest = \"x.toml\"\n").unwrap();
        let now = Release {
            format: RELEASE_FORMAT,
            version: 1,
            previous: None,
            rules: Rules::of(&cfg),
            files: BTreeMap::new(),
            document: None,
        };
        // The same document as a host without `mcp-prefix` signed it.
        let mut older = serde_json::to_value(&now).unwrap();
        older["rules"]["plugins"][0]
            .as_object_mut()
            .unwrap()
            .remove("mcp-prefix");
        let bytes = to_canonical(&older);
        let read = Release::parse(&bytes).unwrap();
        assert_eq!(read.digest(), format!("sha256:{}", sha256_hex(&bytes)));
        assert_ne!(read.digest(), now.digest());
        assert!(read.rules.plugins[0].mcp_prefix, "read with its default");
    }
}
