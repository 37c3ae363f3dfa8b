//! Findings 6 and 7, the workload identity path.
//!
//! 6: while an issuer's JWKS endpoint fails, every request naming an
//! unknown key id made the host fetch again (20 requests, 20 fetches), and
//! the fetch ran under the lock a known key's lookup takes, so a hanging
//! identity provider stalled that issuer's legitimate exchanges.
//!
//! 7: a credential carrying one agent's `sub` and another agent's
//! `client_id` was exchanged as whichever agent came first.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use serde_json::{Value, json};
use warrant::HostConfig;
use warrant::authz::ExchangeRequest;
use warrant_tests::{Fixture, PluginSpec};

use super::{echo, still_serves_and_verifies};
use crate::identity::{AUD, ISS, Key, claims};

/// How the test's JWKS endpoint behaves.
const SERVE: u32 = 0;
const FAIL: u32 = 1;
const HANG: u32 = 2;

/// A JWKS endpoint that counts its requests and can serve, fail (500), or
/// hang until released.
struct Idp {
    url: String,
    mode: Arc<AtomicU32>,
    hits: Arc<AtomicUsize>,
    release: Arc<tokio::sync::Notify>,
}

impl Idp {
    async fn start(keys: Vec<Value>) -> Self {
        let mode = Arc::new(AtomicU32::new(SERVE));
        let hits = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(tokio::sync::Notify::new());
        let (m, h, r) = (Arc::clone(&mode), Arc::clone(&hits), Arc::clone(&release));
        let app = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || {
                let (m, h, r, keys) =
                    (Arc::clone(&m), Arc::clone(&h), Arc::clone(&r), keys.clone());
                async move {
                    h.fetch_add(1, Ordering::SeqCst);
                    match m.load(Ordering::SeqCst) {
                        FAIL => Err(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
                        HANG => {
                            r.notified().await;
                            Err(axum::http::StatusCode::SERVICE_UNAVAILABLE)
                        }
                        _ => Ok(axum::Json(json!({ "keys": keys }))),
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url,
            mode,
            hits,
            release,
        }
    }
}

fn request(token: &str) -> ExchangeRequest<'_> {
    ExchangeRequest {
        subject_token: token,
        task: "INC-7",
        tools: Vec::new(),
        ttl: None,
        resource: None,
        dpop_jkt: None,
    }
}

async fn fixture(idp: &Idp, refresh: &str, agents: &str) -> Fixture {
    Fixture::builder()
        .plugin(PluginSpec::new("adversary"))
        .agent_toml(agents)
        .config(&format!(
            "[[issuers]]\nid = \"workloads\"\nissuer = {ISS:?}\naudiences = [{AUD:?}]\njwks-url = {:?}\njwks-refresh = {refresh:?}\nmax-lifetime = \"1h\"\n",
            idp.url
        ))
        .build()
        .await
}

const BOT: &str = "[[agents]]\nid = \"bot\"\nowner = \"o\"\nmodel = \"m\"\nmodel-owner = \"mo\"\ntools = [\"adversary.*\"]\nworkload = [{ issuer = \"workloads\", subject = \"svc:bot\" }]\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_identity_provider_is_not_hammered_and_a_hanging_one_stalls_nothing() {
    let k1 = Key::new("k1");
    let idp = Idp::start(vec![k1.jwk()]).await;
    let fx = fixture(&idp, "0s", BOT).await;
    let host = fx.host().await;
    // The keys load once; a known key needs no fetch after that.
    let good = k1.sign(&claims("svc:bot"), &json!({}));
    host.exchange(&request(&good), "lib").await.unwrap();
    assert_eq!(idp.hits.load(Ordering::SeqCst), 1);

    // The endpoint fails: 20 credentials naming unknown key ids make at
    // most one fetch (then a backoff), and each is refused saying why.
    idp.mode.store(FAIL, Ordering::SeqCst);
    let stranger = Key::new("unknown");
    let mut refused = Vec::new();
    for _ in 0..20 {
        let jwt = stranger.sign(&claims("svc:bot"), &json!({}));
        refused.push(host.exchange(&request(&jwt), "lib").await.unwrap_err());
    }
    let hits = idp.hits.load(Ordering::SeqCst);
    assert!(hits <= 2, "{hits} fetches for 20 unknown key ids");
    assert!(
        refused.iter().all(|e| e.reason.contains("key")),
        "{refused:?}"
    );

    // The endpoint hangs: a fetch for an unknown key id waits on it, while
    // a credential whose key is cached is exchanged at once — before the
    // hanging fetch is released.
    idp.mode.store(HANG, Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let h = host.clone();
    let hanging = tokio::spawn(async move {
        let jwt = Key::new("other-unknown").sign(&claims("svc:bot"), &json!({}));
        h.exchange(&request(&jwt), "lib").await
    });
    while idp.hits.load(Ordering::SeqCst) == hits {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let legit = k1.sign(&claims("svc:bot"), &json!({}));
    let exchanged = host.exchange(&request(&legit), "lib").await;
    assert!(exchanged.is_ok(), "{exchanged:?}");
    assert!(
        !hanging.is_finished(),
        "the legitimate exchange waited for the hanging fetch"
    );
    idp.release.notify_waiters();
    assert!(hanging.await.unwrap().is_err());
    idp.mode.store(SERVE, Ordering::SeqCst);
    let t = exchanged.unwrap().token;
    still_serves_and_verifies(&fx, &host, &t, "adversary.echo", echo()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_that_matches_two_agents_is_refused_as_ambiguous() {
    let k1 = Key::new("k1");
    let idp = Idp::start(vec![k1.jwk()]).await;
    let other = "[[agents]]\nid = \"other\"\nowner = \"o\"\nmodel = \"m\"\nmodel-owner = \"mo\"\ntools = [\"adversary.*\"]\nworkload = [{ issuer = \"workloads\", client-id = \"client-other\" }]\n";
    let fx = fixture(&idp, "0s", &format!("{BOT}\n{other}")).await;
    let host = fx.host().await;
    let mut c = claims("svc:bot");
    c["client_id"] = json!("client-other");
    let both = k1.sign(&c, &json!({}));
    // Through the library …
    let err = host.exchange(&request(&both), "lib").await.unwrap_err();
    assert!(
        err.reason.contains("ambiguous")
            && err.reason.contains("bot")
            && err.reason.contains("other"),
        "{err:?}"
    );
    // … and the token endpoint.
    let srv = crate::api::support::serve(&fx).await;
    let form = [
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
        ("subject_token", both.as_str()),
        ("task", "INC-7"),
    ];
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/token", srv.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("ambiguous"),
        "{body}"
    );
    // Recorded as refused, naming no agent.
    let refusals: Vec<_> = crate::hardening::records(&fx)
        .into_iter()
        .filter(|r| r.kind == "token.exchange-refused")
        .collect();
    assert_eq!(refusals.len(), 2);
    assert!(refusals.iter().all(|r| r.data.get("agent").is_none()));
    // Each agent's own credential still works.
    let own = k1.sign(&claims("svc:bot"), &json!({}));
    let t = host.exchange(&request(&own), "lib").await.unwrap().token;
    still_serves_and_verifies(&fx, &srv.host, &t, "adversary.echo", echo()).await;
}

#[test]
fn a_config_where_two_workloads_can_be_one_credential_is_refused() {
    let text = format!(
        "[[issuers]]\nid = \"workloads\"\nissuer = {ISS:?}\naudiences = [{AUD:?}]\njwks-url = \"https://idp.test/jwks\"\n\n\
         [[agents]]\nid = \"a\"\nowner = \"o\"\nmodel = \"m\"\nmodel-owner = \"mo\"\nworkload = [{{ issuer = \"workloads\", subject = \"svc-1\" }}]\n\n\
         [[agents]]\nid = \"b\"\nowner = \"o\"\nmodel = \"m\"\nmodel-owner = \"mo\"\nworkload = [{{ issuer = \"workloads\", client-id = \"svc-1\" }}]\n"
    );
    let err = HostConfig::from_toml(&text, "w.toml".as_ref())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("agents[1].workload") && err.contains("agent a"),
        "{err}"
    );
}
