//! An issuer's signing keys: a JWKS fetched from its URL (or read from a
//! file), cached, and fetched again when a token names a key it does not
//! hold — at most once per `jwks-refresh`, so unknown key ids cannot make
//! the host hammer the issuer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};

use crate::config::{Issuer, JwksSource};

/// How long fetching a JWKS may take, in all.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest JWKS accepted.
const MAX_JWKS: usize = 1024 * 1024;

/// The cached keys of one issuer.
#[derive(Debug)]
pub(crate) struct Keys {
    source: JwksSource,
    refresh: Duration,
    tls: Arc<rustls::ClientConfig>,
    cached: tokio::sync::Mutex<Cached>,
}

#[derive(Debug, Default)]
struct Cached {
    keys: Vec<Jwk>,
    fetched: Option<Instant>,
}

impl Keys {
    pub(crate) fn new(issuer: &Issuer, tls: Arc<rustls::ClientConfig>) -> Self {
        Self::at(issuer.jwks.clone(), issuer.jwks_refresh, tls)
    }

    /// The keys at `source`, fetched again at most every `refresh`.
    pub(crate) fn at(
        source: JwksSource,
        refresh: Duration,
        tls: Arc<rustls::ClientConfig>,
    ) -> Self {
        Self {
            source,
            refresh,
            tls,
            cached: tokio::sync::Mutex::default(),
        }
    }

    /// The key `kid` names (or the only key, when the token names none);
    /// fetched again if unknown and the last fetch is older than the
    /// refresh interval.
    pub(crate) async fn find(&self, kid: Option<&str>) -> Result<Jwk, String> {
        let mut c = self.cached.lock().await;
        if let Some(k) = pick(&c.keys, kid) {
            return Ok(k);
        }
        let stale = c.fetched.is_none_or(|t| t.elapsed() >= self.refresh);
        if stale {
            let keys = self.load().await?;
            c.keys = keys;
            c.fetched = Some(Instant::now());
            if let Some(k) = pick(&c.keys, kid) {
                return Ok(k);
            }
        }
        Err(match kid {
            Some(k) => format!(
                "the issuer's keys have no key id {k:?}{}",
                if stale {
                    ""
                } else {
                    " (fetched again at most every jwks-refresh)"
                }
            ),
            None => "the token names no key id (kid) and the issuer has more than one key".into(),
        })
    }

    async fn load(&self) -> Result<Vec<Jwk>, String> {
        let text = match &self.source {
            // A file the operator's config names: ambient authority.
            JwksSource::File(p) => tokio::fs::read(p)
                .await
                .map_err(|e| format!("cannot read the JWKS file {}: {e}", p.display()))?,
            JwksSource::Url(u) => fetch(u, &self.tls).await?,
        };
        parse(&text)
    }
}

fn pick(keys: &[Jwk], kid: Option<&str>) -> Option<Jwk> {
    match kid {
        Some(k) => keys
            .iter()
            .find(|j| j.common.key_id.as_deref() == Some(k))
            .cloned(),
        None if keys.len() == 1 => keys.first().cloned(),
        None => None,
    }
}

/// The usable keys of a JWKS document (keys of kinds this host does not
/// verify are left out, not fatal).
fn parse(text: &[u8]) -> Result<Vec<Jwk>, String> {
    let v: serde_json::Value =
        serde_json::from_slice(text).map_err(|e| format!("the JWKS is not JSON: {e}"))?;
    let Some(keys) = v.get("keys").and_then(|k| k.as_array()) else {
        return Err("the JWKS has no `keys` array".into());
    };
    let set = JwkSet {
        keys: keys
            .iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
            .filter(|k| jsonwebtoken::DecodingKey::from_jwk(k).is_ok())
            .collect(),
    };
    Ok(set.keys)
}

/// GET `url` (one HTTP/1.1 request, TLS verified for its host name).
async fn fetch(url: &str, tls: &Arc<rustls::ClientConfig>) -> Result<Vec<u8>, String> {
    let answer = crate::outbound::send(
        crate::outbound::Request {
            method: http::Method::GET,
            url,
            headers: vec![(
                "accept",
                "application/json, application/jwk-set+json".to_owned(),
            )],
            body: Vec::new(),
            limit: MAX_JWKS,
            timeout: FETCH_TIMEOUT,
        },
        tls,
    )
    .await?;
    if !(200..300).contains(&answer.status) {
        return Err(format!("the JWKS endpoint answered {}", answer.status));
    }
    Ok(answer.body)
}

#[cfg(test)]
mod tests {
    #[test]
    fn unusable_keys_are_left_out_and_garbage_is_refused() {
        let keys = super::parse(br#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"a"},{"kty":"weird"}]}"#).unwrap();
        assert_eq!(keys.len(), 1);
        assert!(super::parse(b"[]").unwrap_err().contains("no `keys`"));
        assert!(super::parse(b"nope").unwrap_err().contains("not JSON"));
    }
}
