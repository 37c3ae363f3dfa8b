//! A credential that is an OAuth client of a real authorization server
//! (`oidc-provider` from npm, started here on 127.0.0.1): the host runs the
//! client-credentials grant, adds the access token to the bound requests,
//! keeps it while it is fresh and fetches a new one after it expires; the
//! plugin never sees the client secret or a token, and an echo of a token
//! is scrubbed. A wrong client secret refuses the request, saying why.

use std::time::{Duration, Instant};

use warrant::{CallError, Host};
use warrant_tests::{Fixture, PluginSpec};

use super::{Seen, fetch, last, origin};
use crate::identity::oidc::{Idp, start_script};

/// How long the provider's access tokens live, in seconds.
const TTL: u64 = 5;
const SECRET: &str = "client-secret-of-the-intel-api";

async fn setup(client_secret: &str) -> (Idp, Fixture, Host, String, u16, Seen) {
    let idp = tokio::task::spawn_blocking(|| {
        start_script(
            "credential-provider.mjs",
            &["warrant-intel", SECRET, &TTL.to_string()],
        )
    })
    .await
    .unwrap();
    let (port, seen) = origin().await;
    let a = format!("http://127.0.0.1:{port}");
    let fx = Fixture::builder()
        .plugin(
            PluginSpec::new("fetcher")
                .grants(&format!(
                    "http = [{a:?}]\ncredentials = [{{ name = \"INTEL_API\", origin = {a:?}, header = \"Authorization\", scheme = \"Bearer\", methods = [\"GET\"], paths = [\"/v1/indicators/*\"] }}]"
                ))
                .entry(&format!(
                    "credentials = {{ INTEL_API = {{ oauth = {{ token-url = \"{}/token\", client-id = \"warrant-intel\", client-secret-file = \"client.secret\", scope = \"intel.read\" }} }} }}",
                    idp.issuer
                )),
        )
        .agent("bot", &["fetcher.*"])
        .build()
        .await;
    std::fs::write(fx.path("client.secret"), client_secret).unwrap();
    let host = fx.host().await;
    assert!(
        host.registry().refusals().is_empty(),
        "{:?}",
        host.registry().refusals()
    );
    let t = fx.token("bot", "T-1", &[]).await;
    (idp, fx, host, t, port, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oauth_clients_tokens_are_added_kept_while_fresh_and_refreshed_after_expiry() {
    let (_idp, fx, host, t, port, seen) = setup(SECRET).await;
    let url = format!("http://127.0.0.1:{port}/v1/indicators/ip");
    let first_at = Instant::now();
    fetch(&host, &t, "GET", &url, &[]).await.unwrap();
    let first = last(&seen).expect("a token was added");
    assert!(first.starts_with("Bearer ") && first.len() > 20, "{first}");
    let out = fetch(&host, &t, "GET", &url, &[]).await.unwrap();
    let second = last(&seen).unwrap();
    // Kept while fresh: the host fetches again a fifth of the lifetime
    // before it ends (checked only when this machine was that quick).
    if first_at.elapsed() < Duration::from_secs(TTL * 4 / 5) {
        assert_eq!(second, first, "the cached token is reused");
    }
    assert!(
        out["body"]
            .as_str()
            .unwrap()
            .contains("[redacted INTEL_API]")
            && !out.to_string().contains(&first[7..]),
        "the echoed token reaches the plugin scrubbed: {out}"
    );
    tokio::time::sleep(Duration::from_secs(TTL + 1)).await;
    fetch(&host, &t, "GET", &url, &[]).await.unwrap();
    let third = last(&seen).unwrap();
    assert_ne!(third, first, "a new token after the old one expired");
    assert!(third.starts_with("Bearer "));
    host.shutdown("done").await;
    let chain = std::fs::read_to_string(fx.path("state/audit/audit.jsonl")).unwrap();
    for token in [&first[7..], &third[7..]] {
        assert!(!chain.contains(token), "no token reaches the chain");
    }
    assert!(!chain.contains(SECRET), "nor the client secret");
    assert_eq!(chain.matches(r#""added":true"#).count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_the_server_refuses_gets_no_request_sent() {
    let (_idp, _fx, host, t, port, seen) = setup("not-the-secret").await;
    let url = format!("http://127.0.0.1:{port}/v1/indicators/ip");
    let err = fetch(&host, &t, "GET", &url, &[]).await.unwrap_err();
    let CallError::Failed(f) = &err else {
        panic!("{err:?}")
    };
    let text = f.to_string();
    assert!(
        text.contains("credential INTEL_API is unavailable") && text.contains("invalid_client"),
        "{text}"
    );
    assert!(seen.lock().unwrap().is_empty(), "nothing was sent");
}
