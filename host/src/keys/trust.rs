//! The keys a host trusts, their validity windows and revocations.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::keys::{Algorithm, Purpose, VerifyingKey};

/// One trusted key.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    /// The key id.
    pub id: String,
    /// The key material; its algorithm is the key's one algorithm.
    pub key: VerifyingKey,
    /// Signatures are refused before this time.
    pub not_before: Option<DateTime<Utc>>,
    /// Signatures are refused after this time.
    pub not_after: Option<DateTime<Utc>>,
}

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    /// There is no signature at all.
    #[error("unsigned: there is no [signature] section")]
    Unsigned,
    /// No trusted key has the id the signature names.
    #[error("unknown key: no trusted key has id `{id}`")]
    UnknownKey {
        /// The key id named.
        id: String,
    },
    /// The key was revoked.
    #[error("revoked key: key `{id}` is revoked")]
    Revoked {
        /// The key id.
        id: String,
    },
    /// The key's validity ended.
    #[error("expired key: key `{id}` was valid until {not_after}")]
    Expired {
        /// The key id.
        id: String,
        /// End of validity.
        not_after: String,
    },
    /// The key is not valid yet.
    #[error("key not yet valid: key `{id}` is valid from {not_before}")]
    NotYetValid {
        /// The key id.
        id: String,
        /// Start of validity.
        not_before: String,
    },
    /// The signature claims another algorithm than the key has.
    #[error("algorithm mismatch: the signature says {claimed} but key `{id}` is {actual}")]
    AlgorithmMismatch {
        /// The key id.
        id: String,
        /// The key's algorithm.
        actual: Algorithm,
        /// The algorithm the signature claims.
        claimed: Algorithm,
    },
    /// The signature does not match the signed content.
    #[error(
        "bad signature: the signature does not match the content under key `{id}` (the content was changed after signing, or signed by another key)"
    )]
    BadSignature {
        /// The key id.
        id: String,
    },
}

/// The trusted keys and revocations of one host.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    keys: Vec<TrustedKey>,
    revoked: BTreeSet<String>,
}

impl TrustStore {
    /// A store with these keys and revoked key ids.
    pub fn new(keys: Vec<TrustedKey>, revoked: impl IntoIterator<Item = String>) -> Self {
        Self {
            keys,
            revoked: revoked.into_iter().collect(),
        }
    }

    /// The trusted keys.
    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }

    /// Revoke a key id (in addition to the configured revocations).
    pub fn revoke(&mut self, id: impl Into<String>) {
        self.revoked.insert(id.into());
    }

    /// Whether a key id is revoked.
    pub fn is_revoked(&self, id: &str) -> bool {
        self.revoked.contains(id)
    }

    /// Verify a signature. The key id is only a hint to find the key; the
    /// key's own algorithm decides how to verify, and a signature claiming
    /// another algorithm is refused.
    ///
    /// # Errors
    ///
    /// [`TrustError`] saying which check failed.
    pub fn verify(
        &self,
        purpose: Purpose,
        key_id: &str,
        claimed: Option<Algorithm>,
        body: &[u8],
        signature: &str,
        now: DateTime<Utc>,
    ) -> Result<&TrustedKey, TrustError> {
        let id = key_id.to_owned();
        if self.revoked.contains(key_id) {
            return Err(TrustError::Revoked { id });
        }
        let key = self
            .keys
            .iter()
            .find(|k| k.id == key_id)
            .ok_or_else(|| TrustError::UnknownKey { id: id.clone() })?;
        if let Some(claimed) = claimed
            && claimed != key.key.algorithm()
        {
            return Err(TrustError::AlgorithmMismatch {
                id,
                actual: key.key.algorithm(),
                claimed,
            });
        }
        if let Some(nb) = key.not_before
            && now < nb
        {
            return Err(TrustError::NotYetValid {
                id,
                not_before: nb.to_rfc3339(),
            });
        }
        if let Some(na) = key.not_after
            && now > na
        {
            return Err(TrustError::Expired {
                id,
                not_after: na.to_rfc3339(),
            });
        }
        if !key.key.verify(purpose, body, signature) {
            return Err(TrustError::BadSignature { id });
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SigningKey;

    fn store(key: &SigningKey, nb: Option<&str>, na: Option<&str>) -> TrustStore {
        TrustStore::new(
            vec![TrustedKey {
                id: "k1".into(),
                key: key.verifying_key(),
                not_before: nb.map(|s| s.parse().unwrap()),
                not_after: na.map(|s| s.parse().unwrap()),
            }],
            [],
        )
    }

    #[test]
    fn each_refusal_is_named() {
        let key = SigningKey::Hmac(vec![3; 32]);
        let sig = key.sign(Purpose::Manifest, b"m");
        let now: DateTime<Utc> = "2026-06-01T00:00:00Z".parse().unwrap();
        let s = store(
            &key,
            Some("2026-01-01T00:00:00Z"),
            Some("2026-12-31T00:00:00Z"),
        );
        assert!(
            s.verify(Purpose::Manifest, "k1", None, b"m", &sig, now)
                .is_ok()
        );
        assert!(matches!(
            s.verify(Purpose::Manifest, "k2", None, b"m", &sig, now),
            Err(TrustError::UnknownKey { .. })
        ));
        assert!(matches!(
            s.verify(
                Purpose::Manifest,
                "k1",
                Some(Algorithm::Ed25519),
                b"m",
                &sig,
                now
            ),
            Err(TrustError::AlgorithmMismatch { .. })
        ));
        assert!(matches!(
            s.verify(Purpose::Manifest, "k1", None, b"m2", &sig, now),
            Err(TrustError::BadSignature { .. })
        ));
        let early: DateTime<Utc> = "2025-06-01T00:00:00Z".parse().unwrap();
        assert!(matches!(
            s.verify(Purpose::Manifest, "k1", None, b"m", &sig, early),
            Err(TrustError::NotYetValid { .. })
        ));
        let late: DateTime<Utc> = "2027-06-01T00:00:00Z".parse().unwrap();
        assert!(matches!(
            s.verify(Purpose::Manifest, "k1", None, b"m", &sig, late),
            Err(TrustError::Expired { .. })
        ));
        let mut revoked = s.clone();
        revoked.revoke("k1");
        assert!(matches!(
            revoked.verify(Purpose::Manifest, "k1", None, b"m", &sig, now),
            Err(TrustError::Revoked { .. })
        ));
    }
}
