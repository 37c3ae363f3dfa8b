//! A credential that is an OAuth client of the operator's authorization
//! server: the host runs the client-credentials grant (RFC 6749 §4.4)
//! itself, keeps the short-lived access token, and fetches a new one
//! before it expires. The plugin never sees the client secret or a token.
//!
//! The token request goes through the host's own outbound HTTP client
//! (hyper and rustls, as for JWKS and webhooks): one form POST and a JSON
//! answer need no OAuth library.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::capability::{Issued, Secret};

/// `oauth = { token-url, client-id, client-secret-file | client-secret-env,
/// scope, resource, auth }` in a `[[plugins]]` credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OAuthClient {
    /// The authorization server's token endpoint (`https://`, or
    /// `http://` on loopback).
    pub token_url: String,
    /// The client's id.
    pub client_id: String,
    /// A file holding the client secret (relative to the config).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_file: Option<String>,
    /// An environment variable of the host holding the client secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_env: Option<String>,
    /// The scope asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The resource (RFC 8707) the token is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// How the client authenticates: `basic` (HTTP Basic, the default
    /// every server supports) or `post` (in the form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<ClientAuth>,
}

/// Client authentication at the token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ClientAuth {
    /// `client_secret_basic`.
    Basic,
    /// `client_secret_post`.
    Post,
}

/// Access tokens kept at most this long when the server names no
/// lifetime.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);
/// Issued tokens remembered (for scrubbing and blocking).
const HISTORY: usize = 8;

/// The access tokens of one client: fetched, kept until shortly before
/// they expire, fetched again. One fetch at a time.
pub struct TokenSource {
    client: OAuthClient,
    secret: Secret,
    cached: tokio::sync::Mutex<Option<(Secret, Instant)>>,
    history: Mutex<VecDeque<Secret>>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("token_url", &self.client.token_url)
            .field("client_id", &self.client.client_id)
            .finish_non_exhaustive()
    }
}

/// Whether a token URL may be used: `https://`, or `http://` on loopback.
///
/// # Errors
///
/// Why not.
pub fn check_token_url(url: &str) -> Result<(), String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|_| format!("token-url {url:?} is not a URL"))?;
    let host = uri.host().unwrap_or_default();
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "::1");
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if loopback => Ok(()),
        _ => Err(format!(
            "token-url {url:?} must be https:// (http:// only on loopback)"
        )),
    }
}

impl TokenSource {
    /// A source of `client`'s tokens, authenticating with `secret`.
    pub fn new(client: OAuthClient, secret: Secret) -> Self {
        Self {
            client,
            secret,
            cached: tokio::sync::Mutex::new(None),
            history: Mutex::new(VecDeque::new()),
        }
    }

    /// A token good for now: the cached one, or a fresh one.
    ///
    /// # Errors
    ///
    /// Why no token could be had, in words (never a secret).
    pub async fn token(&self, tls: &Arc<rustls::ClientConfig>) -> Result<Secret, String> {
        let mut cached = self.cached.lock().await;
        if let Some((token, until)) = &*cached
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let (token, lifetime) = self.fetch(tls).await?;
        // Fetch again a fifth of the lifetime (at most 30 s) before it ends.
        let margin = (lifetime / 5).min(Duration::from_secs(30));
        *cached = Some((token.clone(), Instant::now() + lifetime - margin));
        if let Ok(mut h) = self.history.lock() {
            h.push_back(token.clone());
            while h.len() > HISTORY {
                h.pop_front();
            }
        }
        Ok(token)
    }

    async fn fetch(&self, tls: &Arc<rustls::ClientConfig>) -> Result<(Secret, Duration), String> {
        let c = &self.client;
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(s) = &c.scope {
            form.push(("scope", s));
        }
        if let Some(r) = &c.resource {
            form.push(("resource", r));
        }
        let mut headers = vec![
            ("content-type", "application/x-www-form-urlencoded".to_owned()),
            ("accept", "application/json".to_owned()),
        ];
        match c.auth.unwrap_or(ClientAuth::Basic) {
            ClientAuth::Basic => {
                // RFC 6749 §2.3.1: id and secret form-encoded, then Basic.
                let enc = |s: &str| {
                    serde_urlencoded::to_string([("", s)])
                        .unwrap_or_default()
                        .trim_start_matches('=')
                        .to_owned()
                };
                let pair = format!("{}:{}", enc(&c.client_id), enc(self.secret.expose()));
                headers.push((
                    "authorization",
                    format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(pair)
                    ),
                ));
            }
            ClientAuth::Post => {
                form.push(("client_id", &c.client_id));
                form.push(("client_secret", self.secret.expose()));
            }
        }
        let body = serde_urlencoded::to_string(&form).map_err(|e| e.to_string())?;
        let answer = crate::outbound::send(
            crate::outbound::Request {
                method: http::Method::POST,
                url: &c.token_url,
                headers,
                body: body.into_bytes(),
                limit: 64 * 1024,
                timeout: Duration::from_secs(10),
            },
            tls,
        )
        .await
        .map_err(|e| format!("the token endpoint cannot be reached: {e}"))?;
        read_answer(answer.status, &answer.body)
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    token_type: String,
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
    error_description: Option<String>,
}

/// An access token and its lifetime from a token endpoint's answer.
fn read_answer(status: u16, body: &[u8]) -> Result<(Secret, Duration), String> {
    if status != 200 {
        let why = serde_json::from_slice::<ErrorAnswer>(body)
            .map(|e| {
                format!(
                    "{}{}",
                    e.error,
                    e.error_description
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                )
            })
            .unwrap_or_else(|_| "no OAuth error in the answer".into());
        return Err(format!(
            "the token endpoint refused (HTTP {status}): {}",
            crate::vocab::cap_at(&why, 256)
        ));
    }
    let t: TokenAnswer = serde_json::from_slice(body)
        .map_err(|e| format!("the token endpoint's answer is not a token: {e}"))?;
    if !t.token_type.eq_ignore_ascii_case("bearer") {
        return Err(format!(
            "the token endpoint issued a {:?} token; only bearer tokens are sent",
            t.token_type
        ));
    }
    if t.access_token.is_empty() {
        return Err("the token endpoint issued an empty token".into());
    }
    let lifetime = t
        .expires_in
        .filter(|s| *s > 0)
        .map_or(DEFAULT_LIFETIME, Duration::from_secs);
    Ok((Secret::new(t.access_token), lifetime))
}

impl Issued for TokenSource {
    fn issued(&self) -> Vec<Secret> {
        self.history
            .lock()
            .map(|h| h.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read() {
        let (t, l) = read_answer(
            200,
            br#"{"access_token":"abc.def","token_type":"Bearer","expires_in":300}"#,
        )
        .unwrap();
        assert_eq!((t.expose(), l), ("abc.def", Duration::from_secs(300)));
        let (_, l) = read_answer(200, br#"{"access_token":"x","token_type":"bearer"}"#).unwrap();
        assert_eq!(l, DEFAULT_LIFETIME);
        assert!(read_answer(200, br#"{"access_token":"x","token_type":"mac"}"#).is_err());
        let e = read_answer(401, br#"{"error":"invalid_client"}"#).unwrap_err();
        assert!(e.contains("invalid_client") && e.contains("401"), "{e}");
        assert!(check_token_url("https://idp.example/token").is_ok());
        assert!(check_token_url("http://127.0.0.1:9/token").is_ok());
        assert!(check_token_url("http://idp.example/token").is_err());
    }
}
