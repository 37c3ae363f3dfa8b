//! The console's state in the shared state, so that any host of a fleet
//! serves any console request: each cookie (by the SHA-256 of its value)
//! names its session, holds the session's key sealed under the cookie's
//! value, and a message for the next page; each OpenID login under way
//! (by its `state`) holds its PKCE verifier and session key sealed under
//! the value of the browser's login cookie. A reader of the database
//! without the browser's cookie learns no key. The CSRF token of a
//! session is derived from its cookie (HMAC-SHA256), so every host knows
//! it and none keeps it.
//!
//! Sealing is an AEAD, ring's ChaCha20-Poly1305 (RFC 8439), under a key
//! HKDF-SHA256 (RFC 5869) derives from the cookie's value (256 random
//! bits) and the secret's label, with a random nonce kept beside the
//! ciphertext and the label as associated data: a sealed secret opens
//! only with its cookie and its label, and one altered in the database
//! does not open at all (it is refused, not used).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::api::app::{AppState, Pending};
use crate::keys::sha256_hex;
use crate::state::{doc, now_ms};

/// What the shared state keeps of a console cookie.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Cookie {
    pub(crate) session: String,
    /// The session key, sealed under the cookie's value.
    sealed_key: String,
    pub(crate) flash: Option<String>,
}

/// What the shared state keeps of an OpenID login under way.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Login {
    sealed_verifier: String,
    sealed_key: String,
    redirect_uri: String,
    browser: String,
    started_ms: i64,
}

const NONCE: usize = ring::aead::NONCE_LEN;

/// The AEAD key of `label` under the cookie value `secret`.
fn aead_key(secret: &str, label: &str) -> ring::aead::LessSafeKey {
    let salt = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"warrant console seal");
    let info = [label.as_bytes()];
    let prk = salt.extract(secret.as_bytes());
    let okm = prk
        .expand(&info, &ring::aead::CHACHA20_POLY1305)
        .unwrap_or_else(|_| unreachable!("a 32-byte key is within HKDF-SHA256's output"));
    ring::aead::LessSafeKey::new(ring::aead::UnboundKey::from(okm))
}

/// Why the console's state could not be kept.
#[derive(Debug, thiserror::Error)]
pub(crate) enum KeepError {
    /// The shared state refused it.
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    /// The system's random source failed (no cookie, no nonce).
    #[error("the system's random source failed: {0}")]
    Random(String),
    /// The AEAD refused to seal (it does only for oversized input).
    #[error("a console secret could not be sealed")]
    Seal,
}

/// A new cookie value: 256 bits of the system's randomness, base64url.
/// Never from a fallback — a cookie value is a bearer secret.
pub(crate) fn cookie_value() -> Result<String, KeepError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| KeepError::Random(e.to_string()))?;
    Ok(B64URL.encode(b))
}

/// `plain` sealed under cookie `secret` for `label`: the nonce, then the
/// ciphertext and its tag, base64url.
fn seal(secret: &str, label: &str, plain: &[u8]) -> Result<String, KeepError> {
    let mut nonce = [0u8; NONCE];
    getrandom::fill(&mut nonce).map_err(|e| KeepError::Random(e.to_string()))?;
    let mut out = plain.to_vec();
    aead_key(secret, label)
        .seal_in_place_append_tag(
            ring::aead::Nonce::assume_unique_for_key(nonce),
            ring::aead::Aad::from(label.as_bytes()),
            &mut out,
        )
        .map_err(|_| KeepError::Seal)?;
    let mut sealed = nonce.to_vec();
    sealed.extend_from_slice(&out);
    Ok(B64URL.encode(sealed))
}

/// What `seal(secret, label, …)` sealed; `None` for another cookie or
/// label, or for anything altered.
fn unseal(secret: &str, label: &str, sealed: &str) -> Option<Vec<u8>> {
    let bytes = B64URL.decode(sealed).ok()?;
    let (nonce, rest) = bytes.split_at_checked(NONCE)?;
    let nonce = ring::aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut rest = rest.to_vec();
    let plain = aead_key(secret, label)
        .open_in_place(nonce, ring::aead::Aad::from(label.as_bytes()), &mut rest)
        .ok()?;
    Some(plain.to_vec())
}

fn key_of(bytes: &[u8]) -> Option<ed25519_dalek::SigningKey> {
    <[u8; 32]>::try_from(bytes)
        .ok()
        .map(|b| ed25519_dalek::SigningKey::from_bytes(&b))
}

/// The CSRF token of the session of cookie `value`.
pub(crate) fn csrf_of(value: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(value.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(b"warrant console csrf");
    B64URL.encode(&mac.finalize().into_bytes()[..24])
}

/// Keep cookie `value` for `session`, whose key is `key`, until `until_s`.
pub(crate) async fn put_cookie(
    s: &AppState,
    value: &str,
    session: &str,
    key: &ed25519_dalek::SigningKey,
    until_s: i64,
) -> Result<(), KeepError> {
    let c = Cookie {
        session: session.to_owned(),
        sealed_key: seal(value, "session-key", &key.to_bytes())?,
        flash: None,
    };
    Ok(store(s, value, &c, until_s.saturating_mul(1000)).await?)
}

async fn store(
    s: &AppState,
    value: &str,
    c: &Cookie,
    until_ms: i64,
) -> Result<(), crate::state::StateError> {
    let body = serde_json::to_string(c).unwrap_or_default();
    s.host
        .state()
        .put_doc(
            doc::CONSOLE_COOKIE,
            &sha256_hex(value.as_bytes()),
            &body,
            until_ms,
        )
        .await
}

/// The cookie `value` and the session key it unseals, while it is kept.
pub(crate) async fn cookie(
    s: &AppState,
    value: &str,
) -> Option<(Cookie, ed25519_dalek::SigningKey)> {
    let id = sha256_hex(value.as_bytes());
    let body = s.host.state().doc(doc::CONSOLE_COOKIE, &id).await.ok()??;
    let c: Cookie = serde_json::from_str(&body).ok()?;
    let key = key_of(&unseal(value, "session-key", &c.sealed_key)?)?;
    Some((c, key))
}

/// Leave (or, with `None`, take) the message of cookie `value`, kept
/// until `until_s`.
pub(crate) async fn set_flash(s: &AppState, value: &str, message: Option<String>, until_s: i64) {
    if let Some((mut c, _)) = cookie(s, value).await {
        c.flash = message;
        if let Err(e) = store(s, value, &c, until_s.saturating_mul(1000)).await {
            tracing::warn!("the console's message could not be kept: {e}");
        }
    }
}

/// Forget cookie `value`, on every host.
pub(crate) async fn drop_cookie(s: &AppState, value: &str) {
    let id = sha256_hex(value.as_bytes());
    if let Err(e) = s.host.state().take_doc(doc::CONSOLE_COOKIE, &id).await {
        tracing::warn!("a console cookie could not be forgotten: {e}");
    }
}

/// Keep an OpenID login under way, by its `state`, sealed under the
/// browser's login cookie `browser_value`.
pub(crate) async fn put_login(
    s: &AppState,
    state: &str,
    browser_value: &str,
    p: &Pending,
) -> Result<(), KeepError> {
    let login = Login {
        sealed_verifier: seal(browser_value, "pkce-verifier", p.verifier.as_bytes())?,
        sealed_key: seal(browser_value, "login-key", &p.key.to_bytes())?,
        redirect_uri: p.redirect_uri.clone(),
        browser: p.browser.clone(),
        started_ms: now_ms(),
    };
    let body = serde_json::to_string(&login).unwrap_or_default();
    let until = now_ms().saturating_add(
        i64::try_from(crate::api::console::oidc::PENDING_FOR.as_millis()).unwrap_or(0),
    );
    Ok(s.host
        .state()
        .put_doc(doc::CONSOLE_LOGIN, state, &body, until)
        .await?)
}

/// Take (once, on any host) the OpenID login under way by `state`, if the
/// browser's login cookie `browser_value` is the one that started it.
pub(crate) async fn take_login(s: &AppState, state: &str, browser_value: &str) -> Option<Pending> {
    let body = s
        .host
        .state()
        .take_doc(doc::CONSOLE_LOGIN, state)
        .await
        .ok()??;
    let l: Login = serde_json::from_str(&body).ok()?;
    if sha256_hex(browser_value.as_bytes()) != l.browser {
        return None;
    }
    let verifier =
        String::from_utf8(unseal(browser_value, "pkce-verifier", &l.sealed_verifier)?).ok()?;
    let key = key_of(&unseal(browser_value, "login-key", &l.sealed_key)?)?;
    Some(Pending {
        verifier,
        key,
        redirect_uri: l.redirect_uri,
        browser: l.browser,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_cookie_and_label_and_unaltered() {
        let key = [7u8; 32];
        let sealed = seal("cookie-a", "session-key", &key).unwrap();
        assert_eq!(unseal("cookie-a", "session-key", &sealed).unwrap(), key);
        assert!(unseal("cookie-b", "session-key", &sealed).is_none());
        assert!(unseal("cookie-a", "login-key", &sealed).is_none());
        // Two seals of one secret differ (a fresh nonce each time).
        assert_ne!(seal("cookie-a", "session-key", &key).unwrap(), sealed);
        // One flipped bit anywhere — nonce, ciphertext or tag — and it
        // does not open.
        let raw = B64URL.decode(&sealed).unwrap();
        for i in 0..raw.len() {
            let mut bad = raw.clone();
            bad[i] ^= 1;
            assert!(unseal("cookie-a", "session-key", &B64URL.encode(bad)).is_none());
        }
        assert!(unseal("cookie-a", "session-key", "AAAA").is_none());
        assert!(unseal("cookie-a", "session-key", "not base64!").is_none());
        assert_eq!(csrf_of("cookie-a"), csrf_of("cookie-a"));
        assert_ne!(csrf_of("cookie-a"), csrf_of("cookie-b"));
        let (v1, v2) = (cookie_value().unwrap(), cookie_value().unwrap());
        assert_ne!(v1, v2);
        assert_eq!(B64URL.decode(&v1).unwrap().len(), 32);
    }
}
