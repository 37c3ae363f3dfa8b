//! An issuer's signing keys: a JWKS fetched from its URL (or read from a
//! file), cached, and fetched again when a token names a key it does not
//! hold — at most once per `jwks-refresh` after a success, and after a
//! failure only after a backoff (1 s, doubling, at most the refresh), so
//! that unknown key ids cannot make the host hammer the issuer, whether its
//! endpoint answers or not. One fetch at a time per issuer; a token whose
//! key is cached never waits for it: no lock is held across the network
//! that a known key's lookup would take.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};

use crate::config::{Issuer, JwksSource};

/// How long fetching a JWKS may take, in all.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest JWKS accepted.
const MAX_JWKS: usize = 1024 * 1024;
/// The first wait after a failed fetch; it doubles with each failure.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// The cached keys of one issuer.
#[derive(Debug)]
pub(crate) struct Keys {
    source: JwksSource,
    refresh: Duration,
    tls: Arc<rustls::ClientConfig>,
    /// The keys and the fetch schedule: held only to read or update them,
    /// never across a fetch.
    cached: Mutex<Cached>,
    /// Held by the one caller fetching (and by callers waiting for that
    /// fetch, which need a key the cache lacks).
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct Cached {
    keys: Vec<Jwk>,
    /// No fetch before then (set when a fetch starts).
    next_fetch: Option<Instant>,
    /// Fetches that failed in a row, and the last failure.
    failures: u32,
    last_error: Option<String>,
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
            cached: Mutex::default(),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    fn cached(&self) -> std::sync::MutexGuard<'_, Cached> {
        self.cached.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The key `kid` names (or the only key, when the token names none).
    /// A key not cached is fetched once the schedule allows (one fetch at
    /// a time; callers arriving meanwhile wait for its result instead of
    /// fetching again).
    pub(crate) async fn find(&self, kid: Option<&str>) -> Result<Jwk, String> {
        if let Some(k) = pick(&self.cached().keys, kid) {
            return Ok(k);
        }
        let fetcher = match self.fetching.try_lock() {
            Ok(g) => g,
            Err(_) => {
                // Another caller is fetching: wait for its result.
                let waited = tokio::time::timeout(FETCH_TIMEOUT * 2, self.fetching.lock()).await;
                drop(waited);
                return self.found_or_why(kid, false);
            }
        };
        let now = Instant::now();
        {
            let mut c = self.cached();
            if let Some(k) = pick(&c.keys, kid) {
                return Ok(k);
            }
            if c.next_fetch.is_some_and(|t| now < t) {
                drop(c);
                return self.found_or_why(kid, true);
            }
            // Until this fetch ends, and after it as the outcome says.
            c.next_fetch = Some(now + self.refresh.max(FIRST_BACKOFF));
        }
        let fetched = self.load().await;
        {
            let mut c = self.cached();
            match fetched {
                Ok(keys) => {
                    c.keys = keys;
                    c.failures = 0;
                    c.last_error = None;
                    c.next_fetch = Some(Instant::now() + self.refresh);
                }
                Err(e) => {
                    let backoff = FIRST_BACKOFF
                        .saturating_mul(1u32 << c.failures.min(16))
                        .min(self.refresh.max(FIRST_BACKOFF));
                    c.failures = c.failures.saturating_add(1);
                    c.next_fetch = Some(Instant::now() + backoff);
                    tracing::warn!(
                        "the JWKS of {} could not be fetched ({e}); not fetched again for {} s",
                        self.source,
                        backoff.as_secs()
                    );
                    c.last_error = Some(e);
                }
            }
        }
        drop(fetcher);
        self.found_or_why(kid, false)
    }

    /// The key from the cache, or why there is none.
    fn found_or_why(&self, kid: Option<&str>, scheduled: bool) -> Result<Jwk, String> {
        let c = self.cached();
        if let Some(k) = pick(&c.keys, kid) {
            return Ok(k);
        }
        if let Some(e) = &c.last_error {
            return Err(format!(
                "the issuer's keys cannot be fetched ({e}); tried again after a backoff"
            ));
        }
        Err(match kid {
            Some(k) => format!(
                "the issuer's keys have no key id {k:?}{}",
                if scheduled {
                    " (fetched again at most every jwks-refresh)"
                } else {
                    ""
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
