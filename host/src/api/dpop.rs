//! DPoP proofs (RFC 9449) as the HTTP server checks them, with the
//! `jsonwebtoken` crate (JWK decoding keys, RFC 7638 thumbprints): a
//! `DPoP` header holding one JWT of type `dpop+jwt`, signed with an
//! asymmetric algorithm by the public key in its `jwk` header, whose
//! claims name this request's method (`htm`) and URL (`htu`), a fresh
//! `iat`, a `jti` used once across every host on the shared state, the
//! hash of the access token (`ath`) where one is presented, and — at the
//! resource server — a nonce this server issued (§8). The result is the
//! key's thumbprint, which [`Authz::check_binding`] compares with the
//! token's `cnf.jkt`.
//!
//! [`Authz::check_binding`]: crate::authz::Authz::check_binding

use std::collections::HashSet;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::api::app::AppState;
use crate::api::discovery::resource_of;
use crate::api::security::quoted;
use crate::authz::{DPOP_ALGORITHMS, Sender};

/// How far a proof's `iat` may be from now, in seconds.
const WINDOW: i64 = 60;
/// Longest proof accepted, in bytes.
const MAX_PROOF: usize = 8 * 1024;

/// Why a proof was refused: RFC 9449's error code and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProofError {
    /// `invalid_dpop_proof`, or `use_dpop_nonce` (then send the nonce).
    pub(crate) code: &'static str,
    pub(crate) why: String,
}

fn invalid(why: impl Into<String>) -> ProofError {
    ProofError {
        code: "invalid_dpop_proof",
        why: why.into(),
    }
}

#[derive(Debug, Deserialize)]
struct Claims {
    jti: String,
    htm: String,
    htu: String,
    iat: i64,
    #[serde(default)]
    ath: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

fn algorithm(name: &str) -> Option<Algorithm> {
    match name {
        "ES256" => Some(Algorithm::ES256),
        "ES384" => Some(Algorithm::ES384),
        "EdDSA" => Some(Algorithm::EdDSA),
        "RS256" => Some(Algorithm::RS256),
        "PS256" => Some(Algorithm::PS256),
        _ => None,
    }
}

/// `scheme://authority/path` of a URL, lower-cased where URLs are
/// case-insensitive, without query and fragment (RFC 9449 §4.3).
fn normal_url(url: &str) -> Option<String> {
    let u = url.split(['?', '#']).next()?.parse::<http::Uri>().ok()?;
    Some(format!(
        "{}://{}{}",
        u.scheme_str()?.to_ascii_lowercase(),
        u.authority()?.as_str().to_ascii_lowercase(),
        u.path()
    ))
}

/// Check the request's DPoP proof, if it has one: the key's thumbprint.
/// `token` is the access token the request presents (its hash must be in
/// the proof); `nonce` whether a server nonce is required.
///
/// # Errors
///
/// [`ProofError`] naming the check that failed.
pub(crate) async fn verify(
    s: &AppState,
    method: &Method,
    headers: &HeaderMap,
    path: &str,
    token: Option<&str>,
    nonce: bool,
) -> Result<Option<String>, ProofError> {
    let mut proofs = headers.get_all("dpop").iter();
    let Some(proof) = proofs.next() else {
        return Ok(None);
    };
    if proofs.next().is_some() {
        return Err(invalid("more than one DPoP header"));
    }
    let proof = proof
        .to_str()
        .map_err(|_| invalid("the DPoP header is not text"))?;
    if proof.len() > MAX_PROOF {
        return Err(invalid("the DPoP proof is too long"));
    }
    let head = decode_header(proof).map_err(|e| invalid(format!("not a JWT: {e}")))?;
    if !head
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("dpop+jwt"))
    {
        return Err(invalid("its typ is not dpop+jwt"));
    }
    let alg = DPOP_ALGORITHMS
        .iter()
        .filter_map(|a| algorithm(a))
        .find(|a| *a == head.alg)
        .ok_or_else(|| {
            invalid(format!(
                "algorithm {:?} is not accepted (only {})",
                head.alg,
                DPOP_ALGORITHMS.join(", ")
            ))
        })?;
    let jwk = head
        .jwk
        .ok_or_else(|| invalid("its header has no jwk (the public key)"))?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| invalid(format!("its jwk: {e}")))?;
    let mut v = Validation::new(alg);
    v.required_spec_claims = HashSet::new();
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    let claims = decode::<Claims>(proof, &key, &v)
        .map_err(|e| invalid(format!("its signature or claims: {e}")))?
        .claims;
    if claims.htm != method.as_str() {
        return Err(invalid(format!(
            "it is for {} requests, not {method}",
            claims.htm
        )));
    }
    let (base, _) = resource_of(s, headers);
    let here = normal_url(&format!("{base}{path}"));
    if normal_url(&claims.htu) != here || here.is_none() {
        return Err(invalid(format!(
            "it is for {}, not {base}{path}",
            claims.htu
        )));
    }
    let now = chrono::Utc::now().timestamp();
    if (now - claims.iat).abs() > WINDOW {
        return Err(invalid(format!(
            "its iat is {}s from now (at most {WINDOW}s)",
            now - claims.iat
        )));
    }
    if let Some(t) = token {
        let want = B64URL.encode(Sha256::digest(t.as_bytes()));
        if claims.ath.as_deref() != Some(want.as_str()) {
            return Err(invalid("its ath is not the hash of the access token"));
        }
    }
    if nonce && !claims.nonce.as_deref().is_some_and(|n| s.nonces.valid(n)) {
        return Err(ProofError {
            code: "use_dpop_nonce",
            why: "a DPoP nonce from this server is required (see DPoP-Nonce)".into(),
        });
    }
    let jkt = jwk
        .thumbprint(ThumbprintHash::SHA256)
        .map_err(|e| invalid(format!("its jwk has no thumbprint: {e}")))?;
    let fresh = s
        .host
        .state()
        .use_dpop_jti(&jkt, &claims.jti, (claims.iat + 2 * WINDOW) * 1000)
        .await
        .map_err(|e| invalid(format!("the proof cannot be recorded: {e}")))?;
    if !fresh {
        return Err(invalid(format!(
            "it was used before (jti {}): a proof is good for one request",
            crate::vocab::cap_at(&claims.jti, 80)
        )));
    }
    Ok(Some(jkt))
}

/// What the request proved, for the binding check: its proof's key, or
/// why its proof was refused. The token must then be sent under the
/// `DPoP` scheme for a proof to count.
pub(crate) async fn sender(
    s: &AppState,
    method: &Method,
    headers: &HeaderMap,
    path: &str,
    token: &str,
) -> Result<Sender, ProofError> {
    let dpop_scheme = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("dpop"));
    match verify(s, method, headers, path, Some(token), true).await {
        Ok(Some(jkt)) if dpop_scheme => Ok(Sender::Proof { jkt }),
        Ok(Some(_)) => Ok(Sender::BadProof(
            "a DPoP proof came with a Bearer token: send the token as `Authorization: DPoP <token>`"
                .into(),
        )),
        Ok(None) if dpop_scheme => Ok(Sender::BadProof(
            "the DPoP scheme needs a DPoP proof header".into(),
        )),
        Ok(None) => Ok(Sender::Unproven),
        Err(e) if e.code == "use_dpop_nonce" => Err(e),
        Err(e) => Ok(Sender::BadProof(format!("DPoP proof refused: {}", e.why))),
    }
}

/// Middleware for `/v1`: find what the request proved (DPoP) and hand it
/// on; a request other than a call whose token it may not present is
/// refused here, a call in the call path (which records the refusal).
pub(crate) async fn v1_sender(
    axum::extract::State(s): axum::extract::State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let Some(token) = crate::api::security::bearer(req.headers()).map(str::to_owned) else {
        return next.run(req).await;
    };
    let path = req.uri().path().to_owned();
    let sender = match sender(&s, req.method(), req.headers(), &path, &token).await {
        Ok(sender) => sender,
        Err(e) => return challenge(&s, e.code, &e.why),
    };
    let is_call = req.method() == Method::POST && path.ends_with("/call");
    if !is_call
        && let Err(r @ crate::authz::Refusal::Sender { .. }) =
            s.host.admit_from(&token, &sender).await
    {
        return challenge(&s, sender_code(&sender), &r.to_string());
    }
    req.extensions_mut().insert(sender);
    next.run(req).await
}

/// RFC 9449's error code for a refused binding.
pub(crate) fn sender_code(sender: &Sender) -> &'static str {
    match sender {
        Sender::BadProof(_) => "invalid_dpop_proof",
        _ => "invalid_token",
    }
}

/// HTTP 401 with RFC 9449's `WWW-Authenticate: DPoP error="…"` (and a
/// fresh `DPoP-Nonce`).
pub(crate) fn challenge(s: &AppState, code: &str, why: &str) -> Response {
    let value = format!(
        "DPoP error=\"{code}\", error_description=\"{}\", algs=\"{}\"",
        quoted(why),
        DPOP_ALGORITHMS.join(" ")
    );
    let body = json!({"error": {"layer": "token", "message": why}});
    let mut r = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    if let Ok(n) = HeaderValue::from_str(&s.nonces.issue()) {
        r.headers_mut().insert("dpop-nonce", n);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_compare_without_query_and_case() {
        assert_eq!(
            normal_url("HTTP://Example.COM:8787/mcp?x=1#f").as_deref(),
            Some("http://example.com:8787/mcp")
        );
        assert_ne!(normal_url("http://a/mcp"), normal_url("http://a/v1"));
    }
}
