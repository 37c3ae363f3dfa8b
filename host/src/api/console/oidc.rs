//! Logging in to the console at the operator's OpenID provider:
//! authorization code with PKCE (S256), `state` bound to this browser by a
//! short-lived cookie, and the session key's digest as the `nonce`, so the
//! provider's ID token itself grants the session key. The ID token is
//! verified (signature by the provider's JWKS, issuer, audience, expiry,
//! nonce) before the identity is mapped to an operator of `warrant.toml`.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde::Deserialize;

use crate::api::app::Pending;
use crate::config::{ConsoleOidc, JwksSource};
use crate::identity::jwks::Keys;
use crate::keys::{session_digest, sha256_hex};
use crate::operator::VerifiedLogin;
use crate::outbound::{Request, send};
use crate::vocab::random_id;

/// How long a login at the provider may take.
pub(crate) const PENDING_FOR: Duration = Duration::from_secs(600);
const TIMEOUT: Duration = Duration::from_secs(10);
const LIMIT: usize = 256 * 1024;

#[derive(Debug, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

async fn get_json<T: serde::de::DeserializeOwned>(
    url: &str,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<T, String> {
    let a = send(
        Request {
            method: http::Method::GET,
            url,
            headers: vec![("accept", "application/json".to_owned())],
            body: Vec::new(),
            limit: LIMIT,
            timeout: TIMEOUT,
        },
        tls,
    )
    .await?;
    if a.status != 200 {
        return Err(format!("{url} answered {}", a.status));
    }
    serde_json::from_slice(&a.body).map_err(|e| format!("{url}: not the JSON expected: {e}"))
}

async fn discover(o: &ConsoleOidc, tls: &Arc<rustls::ClientConfig>) -> Result<Discovery, String> {
    let url = format!("{}/.well-known/openid-configuration", o.issuer);
    let d: Discovery = get_json(&url, tls).await?;
    if d.issuer.trim_end_matches('/') != o.issuer {
        return Err(format!(
            "the provider at {} says its issuer is {}",
            o.issuer, d.issuer
        ));
    }
    Ok(d)
}

/// Where to send the browser, and the login under way (keyed by `state`).
pub(crate) async fn start(
    o: &ConsoleOidc,
    tls: &Arc<rustls::ClientConfig>,
    redirect_uri: String,
    browser: String,
) -> Result<(String, String, Pending), String> {
    let d = discover(o, tls).await?;
    let key = crate::operator::session_key().map_err(|e| e.to_string())?;
    let verifier = random_id("v", 32)[2..].to_owned();
    let challenge = B64URL.encode(sha2_256(verifier.as_bytes()));
    let state = random_id("s", 24)[2..].to_owned();
    let nonce = session_digest(&key.verifying_key());
    let query = serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", o.client_id.as_str()),
        ("redirect_uri", redirect_uri.as_str()),
        ("scope", "openid email profile"),
        ("state", state.as_str()),
        ("nonce", nonce.as_str()),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ])
    .map_err(|e| e.to_string())?;
    let sep = if d.authorization_endpoint.contains('?') {
        '&'
    } else {
        '?'
    };
    let url = format!("{}{sep}{query}", d.authorization_endpoint);
    let pending = Pending {
        verifier,
        key,
        redirect_uri,
        browser,
    };
    Ok((url, state, pending))
}

fn sha2_256(b: &[u8]) -> Vec<u8> {
    hex::decode(sha256_hex(b)).unwrap_or_default()
}

#[derive(Debug, Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    nonce: Option<String>,
    email: Option<String>,
    email_verified: Option<bool>,
}

/// Redeem `code` with the PKCE verifier and verify the ID token.
pub(crate) async fn finish(
    o: &ConsoleOidc,
    tls: &Arc<rustls::ClientConfig>,
    code: &str,
    p: &Pending,
) -> Result<VerifiedLogin, String> {
    let d = discover(o, tls).await?;
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", p.redirect_uri.as_str()),
        ("code_verifier", p.verifier.as_str()),
        ("client_id", o.client_id.as_str()),
    ];
    if let Some(secret) = &o.client_secret {
        form.push(("client_secret", secret.as_str()));
    }
    let body = serde_urlencoded::to_string(&form).map_err(|e| e.to_string())?;
    let a = send(
        Request {
            method: http::Method::POST,
            url: &d.token_endpoint,
            headers: vec![
                (
                    "content-type",
                    "application/x-www-form-urlencoded".to_owned(),
                ),
                ("accept", "application/json".to_owned()),
            ],
            body: body.into_bytes(),
            limit: LIMIT,
            timeout: TIMEOUT,
        },
        tls,
    )
    .await?;
    let t: TokenAnswer = serde_json::from_slice(&a.body)
        .map_err(|e| format!("the token endpoint answered {} without JSON: {e}", a.status))?;
    let Some(id_token) = t.id_token.filter(|_| a.status == 200) else {
        return Err(format!(
            "the provider did not issue an ID token: {} {}",
            t.error.unwrap_or_else(|| a.status.to_string()),
            t.error_description.unwrap_or_default()
        ));
    };
    let header = jsonwebtoken::decode_header(&id_token)
        .map_err(|e| format!("the ID token is not a JWT: {e}"))?;
    let keys = Keys::at(
        JwksSource::Url(d.jwks_uri),
        Duration::from_secs(60),
        Arc::clone(tls),
    );
    let jwk = keys.find(header.kid.as_deref()).await?;
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
    use jsonwebtoken::Algorithm as A;
    if !matches!(header.alg, A::RS256 | A::PS256 | A::ES256 | A::EdDSA) {
        return Err(format!(
            "the ID token is signed with {:?}, not accepted",
            header.alg
        ));
    }
    let mut v = jsonwebtoken::Validation::new(header.alg);
    v.set_issuer(&[o.issuer.as_str(), &format!("{}/", o.issuer)]);
    v.set_audience(&[o.client_id.as_str()]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v.leeway = 30;
    let c = jsonwebtoken::decode::<Claims>(&id_token, &key, &v)
        .map_err(|e| format!("the ID token does not verify: {e}"))?
        .claims;
    if c.nonce.as_deref() != Some(session_digest(&p.key.verifying_key()).as_str()) {
        return Err("the ID token's nonce is not this login's".into());
    }
    Ok(VerifiedLogin {
        issuer: c.iss,
        subject: c.sub,
        email: c.email.filter(|_| c.email_verified == Some(true)),
        id_token,
    })
}
