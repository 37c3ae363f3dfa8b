//! Agent workload identity (issue 13): workload JWTs exchanged for task
//! tokens (RFC 8693), access tokens accepted as bearer credentials (RFC
//! 9068), `/mcp` as an OAuth resource server (401 challenges, RFC 9728 and
//! RFC 8414 metadata) — against JWKS served over HTTP, with JWTs the tests
//! sign themselves and with a real OpenID provider.

mod dpop;
pub(crate) mod exchange;
pub(crate) mod oidc;

mod resource;
mod stepup;

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde_json::{Value, json};
use warrant_tests::{Fixture, PluginSpec};

/// The issuer the tests sign for.
pub(crate) const ISS: &str = "https://workloads.test";
/// The audience it issues for this host.
pub(crate) const AUD: &str = "warrant";

/// An Ed25519 key of the test issuer.
#[derive(Debug, Clone)]
pub(crate) struct Key {
    pub(crate) kid: String,
    seed: [u8; 32],
}

impl Key {
    pub(crate) fn new(kid: &str) -> Self {
        let mut seed = [0u8; 32];
        for (i, b) in kid.bytes().cycle().take(32).enumerate() {
            seed[i] = b.wrapping_mul(31).wrapping_add(i as u8);
        }
        Self {
            kid: kid.into(),
            seed,
        }
    }

    fn public(&self) -> [u8; 32] {
        ed25519_dalek::SigningKey::from_bytes(&self.seed)
            .verifying_key()
            .to_bytes()
    }

    /// Its JWK.
    pub(crate) fn jwk(&self) -> Value {
        json!({"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
               "kid": self.kid, "x": B64URL.encode(self.public())})
    }

    /// A JWT of `claims`, signed by this key, with `header` fields added.
    pub(crate) fn sign(&self, claims: &Value, header: &Value) -> String {
        let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        h.kid = Some(self.kid.clone());
        if let Some(t) = header.get("typ").and_then(Value::as_str) {
            h.typ = Some(t.into());
        }
        if let Some(jwk) = header.get("jwk") {
            h.jwk = Some(serde_json::from_value(jwk.clone()).unwrap());
            h.kid = None;
        }
        // PKCS#8 v1 of an Ed25519 seed.
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        der.extend_from_slice(&self.seed);
        jsonwebtoken::encode(&h, claims, &jsonwebtoken::EncodingKey::from_ed_der(&der)).unwrap()
    }

    /// An HS256 JWT whose "secret" is this key's public key: the classic
    /// algorithm-confusion forgery.
    pub(crate) fn forge_hs256(&self, claims: &Value) -> String {
        let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        h.kid = Some(self.kid.clone());
        jsonwebtoken::encode(
            &h,
            claims,
            &jsonwebtoken::EncodingKey::from_secret(&self.public()).unwrap(),
        )
        .unwrap()
    }
}

/// An unsigned JWT (`alg: none`).
pub(crate) fn unsigned(claims: &Value) -> String {
    format!(
        "{}.{}.",
        B64URL.encode(br#"{"alg":"none","typ":"JWT"}"#),
        B64URL.encode(claims.to_string())
    )
}

/// Claims of a workload credential for `sub`, valid for ten minutes.
pub(crate) fn claims(sub: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": ISS, "aud": AUD, "sub": sub, "iat": now, "nbf": now, "exp": now + 600,
           "jti": warrant::vocab::random_id("jti", 8)})
}

/// A JWKS endpoint on 127.0.0.1 whose keys a test can change.
#[derive(Debug, Clone)]
pub(crate) struct Jwks {
    pub(crate) url: String,
    keys: Arc<Mutex<Vec<Value>>>,
}

impl Jwks {
    pub(crate) async fn start(keys: &[&Key]) -> Self {
        let set = Arc::new(Mutex::new(keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()));
        let shared = Arc::clone(&set);
        let app = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || {
                let s = Arc::clone(&shared);
                async move { axum::Json(json!({"keys": *s.lock().unwrap()})) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, keys: set }
    }

    /// Publish another key (a rotation).
    pub(crate) fn add(&self, k: &Key) {
        self.keys.lock().unwrap().push(k.jwk());
    }
}

/// A host whose agents `bot` and `other-bot` are workloads of the test
/// issuer (`…:bot`, `…:other-bot`); more config in `extra`.
pub(crate) async fn fixture(jwks: &Jwks, extra: &str) -> Fixture {
    fixture_under(jwks, extra, warrant_tests::PERMIT_ALL).await
}

/// [`fixture`] under the Cedar policies `policy`.
pub(crate) async fn fixture_under(jwks: &Jwks, extra: &str, policy: &str) -> Fixture {
    Fixture::builder()
        .policy(policy)
        .plugin(PluginSpec::new("adversary"))
        .plugin(PluginSpec::new("ioc-extract"))
        .agent_toml(
            "[[agents]]\nid = \"bot\"\nowner = \"alice@soc.example\"\nmodel = \"m\"\nmodel-owner = \"mo\"\ntools = [\"adversary.*\", \"ioc-extract.*\"]\nworkload = [{ issuer = \"workloads\", subject = \"system:serviceaccount:soc:bot\" }]\n",
        )
        .agent_toml(
            "[[agents]]\nid = \"other-bot\"\nowner = \"bob@soc.example\"\nmodel = \"m\"\nmodel-owner = \"mo\"\ntools = [\"ioc-extract.*\"]\nworkload = [{ issuer = \"workloads\", subject = \"system:serviceaccount:soc:other-bot\" }]\n",
        )
        .config(&format!(
            "[[issuers]]\nid = \"workloads\"\nissuer = {ISS:?}\naudiences = [{AUD:?}]\njwks-url = {:?}\njwks-refresh = \"0s\"\nmax-lifetime = \"1h\"\n{extra}",
            jwks.url
        ))
        .build()
        .await
}
