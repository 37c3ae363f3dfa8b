//! The server's DPoP nonces (RFC 9449 §8): they make a client's proofs
//! fresh; they authorise nothing.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// How long a server nonce stays good, in seconds.
const NONCE_LIFE: i64 = 300;

/// The server's DPoP nonces (RFC 9449 §8): `<time>.<MAC of it>` under a
/// key of this process, good for [`NONCE_LIFE`].
pub(crate) struct Nonces {
    key: [u8; 32],
}

impl std::fmt::Debug for Nonces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Nonces(..)")
    }
}

impl Default for Nonces {
    fn default() -> Self {
        let mut key = [0u8; 32];
        // Without the OS's randomness the nonces are still bound to time;
        // they only make proofs fresh, they authorise nothing.
        let _ = getrandom::fill(&mut key);
        Self { key }
    }
}

impl Nonces {
    fn mac(&self, time: i64) -> String {
        // HMAC takes a key of any length.
        let Ok(mut m) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return String::new();
        };
        m.update(&time.to_be_bytes());
        B64URL.encode(&m.finalize().into_bytes()[..16])
    }

    /// A fresh nonce.
    pub(crate) fn issue(&self) -> String {
        let now = chrono::Utc::now().timestamp();
        format!("{now}.{}", self.mac(now))
    }

    pub(crate) fn valid(&self, nonce: &str) -> bool {
        let Some((t, mac)) = nonce.split_once('.') else {
            return false;
        };
        let Ok(t) = t.parse::<i64>() else {
            return false;
        };
        let age = chrono::Utc::now().timestamp() - t;
        (0..=NONCE_LIFE).contains(&age) && crate::api::security::same_secret(mac, &self.mac(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_this_servers_and_fresh() {
        let n = Nonces::default();
        let good = n.issue();
        assert!(n.valid(&good));
        assert!(!Nonces::default().valid(&good), "another server's");
        let old = chrono::Utc::now().timestamp() - NONCE_LIFE - 5;
        assert!(!n.valid(&format!("{old}.{}", n.mac(old))), "stale");
        assert!(!n.valid("garbage"));
    }
}
