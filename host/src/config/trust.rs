//! The trusted publisher keys of a host config, with their validity windows
//! and revocations.

use crate::config::sources::Place;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};

use crate::config::model::TrustSection;
use crate::keys::{Algorithm, TrustStore, TrustedKey, VerifyingKey, read_key_file};

pub(super) fn trust_store(
    section: &TrustSection,
    at: &Place<'_>,
) -> Result<TrustStore, (String, String)> {
    let dir = at.dir;
    let mut keys = Vec::new();
    for (i, k) in section.keys.iter().enumerate() {
        let field = |f: &str| format!("trust.keys[{i}].{f}");
        let key = match k.algorithm {
            Algorithm::Ed25519 => {
                let pk = match (&k.public_key, &k.public_key_file) {
                    (Some(pk), None) => pk.clone(),
                    (None, Some(f)) => {
                        // A file the operator's config names (or the
                        // release's archived copy of it): ambient authority.
                        // Missing (the example publisher key before `warrant
                        // demo --authors` makes it): left out, so nothing it
                        // signed loads.
                        if !at.exists(f) {
                            continue;
                        }
                        let path = at
                            .locate(f)
                            .map_err(|why| (field("public-key-file"), why))?;
                        let text = std::fs::read_to_string(&path).map_err(|e| {
                            (
                                field("public-key-file"),
                                format!("cannot read {}: {e}", path.display()),
                            )
                        })?;
                        let key = crate::keys::parse_ed25519_public(&text)
                            .map_err(|why| (field("public-key-file"), format!("{f}: {}", why.0)))?;
                        B64.encode(key.to_bytes())
                    }
                    _ => {
                        return Err((
                            field("public-key"),
                            format!(
                                "key {} is ed25519 and needs exactly one of public-key or public-key-file",
                                k.id
                            ),
                        ));
                    }
                };
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
                        let kf = read_key_file(&dir.join(f))
                            .map_err(|e| (field("secret-file"), e.to_string()))?;
                        if kf.algorithm != Algorithm::HmacSha256 || kf.id != k.id {
                            return Err((
                                field("secret-file"),
                                format!(
                                    "{f} holds key {} ({}), not {} (hmac-sha256)",
                                    kf.id, kf.algorithm, k.id
                                ),
                            ));
                        }
                        match kf
                            .signing_key()
                            .map_err(|e| (field("secret-file"), e.to_string()))?
                        {
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
                // A secret is never archived with a release, only pinned by
                // its digest: the one read now must be the one signed.
                if let Some(pinned) = at.files.pinned_secret(&format!("trust:{}", k.id))
                    && pinned != secret_digest(&secret)
                {
                    return Err((
                        field("secret-file"),
                        format!(
                            "the secret of key {} is not the one the release of the rules in force pins: a changed key needs a new release",
                            k.id
                        ),
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

/// The digest a release pins for an HMAC secret.
pub(crate) fn secret_digest(secret: &[u8]) -> String {
    format!("sha256:{}", crate::keys::sha256_hex(secret))
}
