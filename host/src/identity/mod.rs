//! Agents' identity credentials, verified: JWTs from the `[[issuers]]` of
//! the host config — a workload's platform credential (a Kubernetes
//! service-account token, a SPIFFE JWT-SVID, a CI or cloud OIDC token),
//! exchanged for a task token, or an access token (RFC 9068) of the
//! organisation's authorization server, accepted as it is.
//!
//! The JOSE work is `jsonwebtoken`'s; what this module adds is the policy:
//! the issuer is found by its exact `iss`, its algorithms are an allow-list
//! of asymmetric ones (`none` and HMAC never), its keys come from its JWKS
//! only, `exp`, `nbf`, `iat`, `iss` and `aud` are checked with the host's
//! clock skew, and the lifetime may not exceed the issuer's maximum. Every
//! refusal says which check failed.

pub(crate) mod jwks;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::config::{HostConfig, Issuer};

/// The longest credential accepted, in bytes.
const MAX_JWT: usize = 16 * 1024;

/// What a credential is presented for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented<'a> {
    /// A workload credential, to exchange for a task token.
    Workload,
    /// An access token, as a bearer credential for `resource`.
    AccessToken {
        /// This host's resource identifier: the audience it must carry.
        resource: &'a str,
    },
}

/// A credential that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The issuer's local id.
    pub issuer: String,
    /// Its `iss`.
    pub iss: String,
    /// `sub`.
    pub subject: Option<String>,
    /// `client_id` (or `azp`).
    pub client_id: Option<String>,
    /// `jti`.
    pub jti: Option<String>,
    /// SHA-256 (hex) of the credential, for the record when it has no `jti`.
    pub digest: String,
    /// `iat`, `nbf`, `exp` (seconds since the epoch; `iat`/`nbf` may be absent).
    pub iat: Option<i64>,
    /// Not before.
    pub nbf: Option<i64>,
    /// Expiry.
    pub exp: i64,
    /// The key that signed it.
    pub kid: Option<String>,
    /// The algorithm.
    pub alg: String,
    /// Every claim.
    pub claims: Map<String, Value>,
}

impl Verified {
    /// The id the record keeps: `jti`, else `sha256:` and the digest.
    pub fn credential_id(&self) -> String {
        self.jti
            .clone()
            .unwrap_or_else(|| format!("sha256:{}", self.digest))
    }

    /// A string claim.
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
}

/// Why a credential was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CredentialError(pub String);

fn refuse<T>(why: impl Into<String>) -> Result<T, CredentialError> {
    Err(CredentialError(why.into()))
}

/// The issuers of one host config, with their keys.
#[derive(Debug)]
pub struct Verifier {
    issuers: Vec<(Issuer, jwks::Keys)>,
    skew: u64,
}

impl Verifier {
    /// The issuers of `config`; nothing is fetched until a credential
    /// needs it.
    ///
    /// # Errors
    ///
    /// A message naming a CA file (`[egress] ca-files`) that cannot be read.
    pub fn new(config: &HostConfig) -> Result<Self, String> {
        let tls = crate::outbound::tls_config(&config.egress_ca_files)?;
        Ok(Self {
            issuers: config
                .issuers
                .iter()
                .map(|i| (i.clone(), jwks::Keys::new(i, Arc::clone(&tls))))
                .collect(),
            skew: config.clock_skew.as_secs(),
        })
    }

    /// Whether any issuer's access tokens are accepted as bearer
    /// credentials.
    pub fn accepts_access_tokens(&self) -> bool {
        self.issuers.iter().any(|(i, _)| i.access_tokens)
    }

    /// Verify `token` presented as `what`.
    ///
    /// # Errors
    ///
    /// [`CredentialError`] naming the check that failed.
    pub async fn verify(
        &self,
        token: &str,
        what: Presented<'_>,
        now: i64,
    ) -> Result<Verified, CredentialError> {
        let token = token.trim();
        if token.len() > MAX_JWT {
            return refuse(format!(
                "the credential is {} bytes; at most {MAX_JWT} are accepted",
                token.len()
            ));
        }
        let parts: Vec<&str> = token.split('.').collect();
        let [h, p, _] = parts.as_slice() else {
            return refuse("the credential is not a JWT (three base64url parts separated by dots)");
        };
        let header = part(h, "header")?;
        let payload = part(p, "payload")?;
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if alg.eq_ignore_ascii_case("none") || alg.is_empty() {
            return refuse("unsigned credentials (alg none) are never accepted");
        }
        if alg.starts_with("HS") {
            return refuse(format!(
                "{alg} is an HMAC algorithm; identity credentials are verified with the issuer's public keys only"
            ));
        }
        let iss = payload
            .get("iss")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some((issuer, keys)) = self.issuers.iter().find(|(i, _)| i.issuer == iss) else {
            return refuse(format!("no [[issuers]] entry has the issuer {iss:?}"));
        };
        if !issuer.algorithms.iter().any(|a| a == alg) {
            return refuse(format!(
                "issuer {} accepts {}, not {alg}",
                issuer.id,
                issuer.algorithms.join(", ")
            ));
        }
        let typ = header
            .get("typ")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let audiences: Vec<String> = match what {
            Presented::Workload => issuer.audiences.clone(),
            Presented::AccessToken { resource } => {
                if !issuer.access_tokens {
                    return refuse(format!(
                        "issuer {}'s tokens are not accepted as access tokens here (access-tokens = false); exchange it at /oauth/token",
                        issuer.id
                    ));
                }
                if !typ.eq_ignore_ascii_case("at+jwt")
                    && !typ.eq_ignore_ascii_case("application/at+jwt")
                {
                    return refuse(format!(
                        "an access token has typ at+jwt (RFC 9068), not {typ:?}"
                    ));
                }
                vec![resource.to_owned()]
            }
        };
        let kid = header.get("kid").and_then(Value::as_str);
        let jwk = keys
            .find(kid)
            .await
            .map_err(|why| CredentialError(format!("issuer {}: {why}", issuer.id)))?;
        let algorithm: Algorithm = alg.parse().map_err(|_| {
            CredentialError(format!("{alg} is not a JOSE algorithm this host knows"))
        })?;
        if let Some(ka) = &jwk.common.key_algorithm
            && format!("{ka:?}") != alg
        {
            return refuse(format!(
                "key {} is for {ka:?}, the credential says {alg}",
                kid.unwrap_or("-")
            ));
        }
        let key = DecodingKey::from_jwk(&jwk).map_err(|e| {
            CredentialError(format!(
                "issuer {}'s key {}: {e}",
                issuer.id,
                kid.unwrap_or("-")
            ))
        })?;
        let mut v = Validation::new(algorithm);
        v.leeway = self.skew;
        v.validate_nbf = true;
        v.set_issuer(&[&issuer.issuer]);
        v.set_audience(&audiences);
        v.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &v).map_err(|e| {
            CredentialError(match e.kind() {
                ErrorKind::InvalidSignature => format!(
                    "the signature does not verify under issuer {}'s key {}",
                    issuer.id,
                    kid.unwrap_or("-")
                ),
                ErrorKind::ExpiredSignature => format!(
                    "expired (exp {}, clock skew {}s)",
                    payload.get("exp").unwrap_or(&Value::Null),
                    self.skew
                ),
                ErrorKind::ImmatureSignature => format!(
                    "not valid yet (nbf {})",
                    payload.get("nbf").unwrap_or(&Value::Null)
                ),
                ErrorKind::InvalidAudience => format!(
                    "its audience {} is not {}",
                    payload.get("aud").unwrap_or(&Value::Null),
                    audiences.join(" or ")
                ),
                ErrorKind::InvalidIssuer => format!("its issuer is not {}", issuer.issuer),
                ErrorKind::MissingRequiredClaim(c) => format!("it has no `{c}` claim"),
                other => format!("not accepted: {other:?}"),
            })
        })?;
        let c = data.claims;
        let int = |k: &str| c.get(k).and_then(Value::as_i64);
        let exp = int("exp").ok_or_else(|| CredentialError("`exp` is not a number".into()))?;
        let (iat, nbf) = (int("iat"), int("nbf"));
        let skew = i64::try_from(self.skew).unwrap_or(0);
        if let Some(i) = iat
            && i > now + skew
        {
            return refuse(format!("issued in the future (iat {i})"));
        }
        let start = iat.or(nbf).unwrap_or(now);
        let max = i64::try_from(issuer.max_lifetime.as_secs()).unwrap_or(i64::MAX);
        if exp - start > max {
            return refuse(format!(
                "it is valid for {}s, longer than issuer {}'s max-lifetime of {}s",
                exp - start,
                issuer.id,
                max
            ));
        }
        let s = |k: &str| c.get(k).and_then(Value::as_str).map(str::to_owned);
        Ok(Verified {
            issuer: issuer.id.clone(),
            iss: issuer.issuer.clone(),
            subject: s("sub"),
            client_id: s("client_id").or_else(|| s("azp")),
            jti: s("jti"),
            digest: crate::keys::sha256_hex(token.as_bytes()),
            iat,
            nbf,
            exp,
            kid: kid.map(str::to_owned),
            alg: alg.to_owned(),
            claims: c,
        })
    }
}

/// A JWT part as a JSON object.
fn part(b64: &str, what: &str) -> Result<Map<String, Value>, CredentialError> {
    let bytes = B64URL
        .decode(b64.trim_end_matches('='))
        .map_err(|_| CredentialError(format!("the credential's {what} is not base64url")))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => refuse(format!("the credential's {what} is not a JSON object")),
    }
}
