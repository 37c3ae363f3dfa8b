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
//! Sealing is HMAC-SHA256 of the cookie's value (256 random bits) in
//! counter mode as a one-time pad, a label per secret: each cookie seals
//! each label once.

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

fn pad(secret: &str, label: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut n = 0u32;
    while out.len() < len {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"warrant console ");
        mac.update(label.as_bytes());
        mac.update(&n.to_be_bytes());
        out.extend_from_slice(&mac.finalize().into_bytes());
        n += 1;
    }
    out.truncate(len);
    out
}

fn seal(secret: &str, label: &str, plain: &[u8]) -> String {
    let p = pad(secret, label, plain.len());
    B64URL.encode(plain.iter().zip(p).map(|(a, b)| a ^ b).collect::<Vec<u8>>())
}

fn unseal(secret: &str, label: &str, sealed: &str) -> Option<Vec<u8>> {
    let bytes = B64URL.decode(sealed).ok()?;
    let p = pad(secret, label, bytes.len());
    Some(bytes.iter().zip(p).map(|(a, b)| a ^ b).collect())
}

fn key_of(bytes: &[u8]) -> Option<ed25519_dalek::SigningKey> {
    <[u8; 32]>::try_from(bytes)
        .ok()
        .map(|b| ed25519_dalek::SigningKey::from_bytes(&b))
}

/// The CSRF token of the session of cookie `value`.
pub(crate) fn csrf_of(value: &str) -> String {
    B64URL.encode(pad(value, "csrf", 24))
}

/// Keep cookie `value` for `session`, whose key is `key`, until `until_s`.
pub(crate) async fn put_cookie(
    s: &AppState,
    value: &str,
    session: &str,
    key: &ed25519_dalek::SigningKey,
    until_s: i64,
) -> Result<(), crate::state::StateError> {
    let c = Cookie {
        session: session.to_owned(),
        sealed_key: seal(value, "session-key", &key.to_bytes()),
        flash: None,
    };
    store(s, value, &c, until_s.saturating_mul(1000)).await
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
) -> Result<(), crate::state::StateError> {
    let login = Login {
        sealed_verifier: seal(browser_value, "pkce-verifier", p.verifier.as_bytes()),
        sealed_key: seal(browser_value, "login-key", &p.key.to_bytes()),
        redirect_uri: p.redirect_uri.clone(),
        browser: p.browser.clone(),
        started_ms: now_ms(),
    };
    let body = serde_json::to_string(&login).unwrap_or_default();
    let until = now_ms().saturating_add(
        i64::try_from(crate::api::console::oidc::PENDING_FOR.as_millis()).unwrap_or(0),
    );
    s.host
        .state()
        .put_doc(doc::CONSOLE_LOGIN, state, &body, until)
        .await
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
    fn sealed_secrets_open_only_with_their_cookie_and_label() {
        let key = [7u8; 32];
        let sealed = seal("cookie-a", "session-key", &key);
        assert_eq!(unseal("cookie-a", "session-key", &sealed).unwrap(), key);
        assert_ne!(unseal("cookie-b", "session-key", &sealed).unwrap(), key);
        assert_ne!(unseal("cookie-a", "login-key", &sealed).unwrap(), key);
        assert_eq!(pad("x", "y", 70).len(), 70);
        assert_eq!(csrf_of("cookie-a"), csrf_of("cookie-a"));
        assert_ne!(csrf_of("cookie-a"), csrf_of("cookie-b"));
    }
}
