//! Plugin manifests: the TOML format, its canonical signed form, and
//! verification into a [`VerifiedManifest`] — the only kind of manifest the
//! registry loads.

mod canonical;
mod model;
mod parse;
mod review;
pub mod schema;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::keys::{Purpose, SigningKey, TrustError, TrustStore, sha256_hex};

pub use canonical::{canonical_bytes, manifest_digest, tool_digest};
pub use model::{
    FileGrantSpec, Grants, MANIFEST_VERSION, Manifest, ManifestLimits, ManifestTool, PluginSection,
    SignatureSection,
};
pub(crate) use parse::parse_digest;
pub use parse::{ManifestError, ManifestTerms, output_validator};
pub use review::capability_review;

/// Why a manifest was refused. Each variant is one check.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The manifest file could not be read.
    #[error("cannot read manifest {path}: {why}")]
    Read {
        /// The manifest path.
        path: PathBuf,
        /// The I/O error.
        why: String,
    },
    /// The manifest is malformed.
    #[error("manifest {path}: {error}")]
    Parse {
        /// The manifest path.
        path: PathBuf,
        /// What is wrong.
        error: ManifestError,
    },
    /// The signature was not accepted.
    #[error("manifest {path}: signature refused: {error}")]
    Signature {
        /// The manifest path.
        path: PathBuf,
        /// Which signature check failed.
        error: TrustError,
    },
    /// The manifest pins no component digest.
    #[error("manifest {path}: no component digest; sign it with `warrant sign`")]
    NoDigest {
        /// The manifest path.
        path: PathBuf,
    },
    /// The component file could not be read.
    #[error("manifest {path}: cannot read component {component}: {why}")]
    Component {
        /// The manifest path.
        path: PathBuf,
        /// The component path.
        component: PathBuf,
        /// The I/O error.
        why: String,
    },
    /// The manifest's own expiry has passed.
    #[error("manifest {path}: expired at {expires}; the publisher must sign a new one")]
    Expired {
        /// The manifest path.
        path: PathBuf,
        /// When it expired (RFC 3339).
        expires: String,
    },
    /// The component's bytes are not the ones the manifest pins.
    #[error(
        "manifest {path}: digest mismatch: the component {component} has sha256:{actual} but the signed manifest pins {expected}"
    )]
    DigestMismatch {
        /// The manifest path.
        path: PathBuf,
        /// The component path.
        component: PathBuf,
        /// The pinned digest.
        expected: String,
        /// The component's digest.
        actual: String,
    },
}

/// A manifest whose signature verified under a trusted key and whose
/// component bytes match the pinned digest. Only verification makes one.
#[derive(Debug, Clone)]
pub struct VerifiedManifest {
    manifest: Manifest,
    terms: ManifestTerms,
    path: PathBuf,
    component: Vec<u8>,
    digest_hex: String,
    manifest_digest: String,
    signer: Option<String>,
}

impl VerifiedManifest {
    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// What its values mean, typed.
    pub fn terms(&self) -> &ManifestTerms {
        &self.terms
    }

    /// `sha256:` of the manifest's canonical (signed) bytes.
    pub fn manifest_digest(&self) -> &str {
        &self.manifest_digest
    }

    /// `sha256:` of the component's bytes.
    pub fn component_digest(&self) -> String {
        format!("sha256:{}", self.digest_hex)
    }

    /// Where it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The component's bytes, as verified.
    pub fn component(&self) -> &[u8] {
        &self.component
    }

    /// The component's SHA-256, hex.
    pub fn digest_hex(&self) -> &str {
        &self.digest_hex
    }

    /// The id of the key that signed it; `None` for a development manifest
    /// loaded with `--insecure`.
    pub fn signer(&self) -> Option<&str> {
        self.signer.as_deref()
    }
}

/// Read and parse a manifest file.
///
/// # Errors
///
/// [`VerifyError::Read`] or [`VerifyError::Parse`].
pub fn read_manifest(path: &Path) -> Result<Manifest, VerifyError> {
    load_manifest(path).map(|(m, _)| m)
}

/// Read, parse and check a manifest file, with what its values mean.
///
/// # Ambient Authority
///
/// Reads `path`, a file the operator's config or command line names.
///
/// # Errors
///
/// [`VerifyError::Read`] or [`VerifyError::Parse`].
pub fn load_manifest(path: &Path) -> Result<(Manifest, ManifestTerms), VerifyError> {
    load_manifest_as(path, path)
}

/// [`load_manifest`] of the manifest known as `path` (its component is
/// beside it) whose text is read from `read_from` (a release's archived
/// copy).
///
/// # Ambient Authority
///
/// Reads `read_from`.
///
/// # Errors
///
/// [`VerifyError::Read`] or [`VerifyError::Parse`], naming `path`.
pub fn load_manifest_as(
    read_from: &Path,
    path: &Path,
) -> Result<(Manifest, ManifestTerms), VerifyError> {
    let text = std::fs::read_to_string(read_from).map_err(|e| VerifyError::Read {
        path: path.to_owned(),
        why: e.to_string(),
    })?;
    Manifest::parse(&text).map_err(|error| VerifyError::Parse {
        path: path.to_owned(),
        error,
    })
}

/// The component path of a manifest read from `manifest_path`.
pub fn component_path(manifest_path: &Path, manifest: &Manifest) -> PathBuf {
    manifest_path
        .parent()
        .unwrap_or(Path::new("."))
        .join(&manifest.plugin.component)
}

/// Verify a manifest read from `path`: its signature under `trust` at `now`,
/// then its component's bytes against the pinned digest.
///
/// # Errors
///
/// [`VerifyError`] naming the check that failed.
pub fn verify(
    manifest: Manifest,
    terms: ManifestTerms,
    path: &Path,
    trust: &TrustStore,
    now: DateTime<Utc>,
) -> Result<VerifiedManifest, VerifyError> {
    let sig = manifest
        .signature
        .as_ref()
        .ok_or_else(|| VerifyError::Signature {
            path: path.to_owned(),
            error: TrustError::Unsigned,
        })?;
    if sig.value.trim().is_empty() {
        return Err(VerifyError::Signature {
            path: path.to_owned(),
            error: TrustError::Unsigned,
        });
    }
    let key = trust
        .verify(
            Purpose::Manifest,
            &sig.key,
            Some(sig.algorithm),
            &canonical_bytes(&manifest),
            &sig.value,
            now,
        )
        .map_err(|error| VerifyError::Signature {
            path: path.to_owned(),
            error,
        })?;
    let signer = key.id.clone();
    if let Some(exp) = terms.expires
        && now > exp
    {
        return Err(VerifyError::Expired {
            path: path.to_owned(),
            expires: exp.to_rfc3339(),
        });
    }
    let mut verified = check_component(manifest, terms, path)?;
    verified.signer = Some(signer);
    Ok(verified)
}

/// Accept a manifest without checking its signature: development only,
/// behind the CLI's `--insecure`. The component digest is still checked when
/// the manifest pins one.
///
/// # Errors
///
/// [`VerifyError`] for an unreadable or mismatched component.
pub fn accept_unsigned(
    manifest: Manifest,
    terms: ManifestTerms,
    path: &Path,
) -> Result<VerifiedManifest, VerifyError> {
    check_component(manifest, terms, path)
}

fn check_component(
    manifest: Manifest,
    terms: ManifestTerms,
    path: &Path,
) -> Result<VerifiedManifest, VerifyError> {
    let component_path = component_path(path, &manifest);
    let bytes = std::fs::read(&component_path).map_err(|e| VerifyError::Component {
        path: path.to_owned(),
        component: component_path.clone(),
        why: e.to_string(),
    })?;
    let actual = sha256_hex(&bytes);
    match &manifest.plugin.digest {
        Some(d) if parse_digest(d).ok() != Some(actual.as_str()) => {
            return Err(VerifyError::DigestMismatch {
                path: path.to_owned(),
                component: component_path,
                expected: d.clone(),
                actual,
            });
        }
        Some(_) => {}
        None if manifest.signature.is_some() => {
            return Err(VerifyError::NoDigest {
                path: path.to_owned(),
            });
        }
        None => {}
    }
    Ok(VerifiedManifest {
        manifest_digest: manifest_digest(&manifest),
        manifest,
        terms,
        path: path.to_owned(),
        component: bytes,
        digest_hex: actual,
        signer: None,
    })
}

/// Sign a manifest in place with `key` (whose id is `key_id`).
pub fn sign(manifest: &mut Manifest, key_id: &str, key: &SigningKey) {
    manifest.signature = Some(SignatureSection {
        key: key_id.to_owned(),
        algorithm: key.algorithm(),
        value: String::new(),
    });
    let value = key.sign(Purpose::Manifest, &canonical_bytes(manifest));
    if let Some(sig) = &mut manifest.signature {
        sig.value = value;
    }
}
