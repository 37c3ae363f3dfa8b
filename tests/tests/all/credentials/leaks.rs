//! What the plugin must never let out: `secret()` refuses a credential's
//! name; an upstream echo of a credential is scrubbed before the plugin
//! reads it; an output, error message, log line or stdout line holding a
//! secret fails the call, naming the secret, and the record says so.

use serde_json::json;
use warrant::{CallError, CallFailure, CallRequest, Host};
use warrant_tests::{Fixture, PluginSpec};

use super::{fetch, origin};

const KEY: &str = "k-intel-0123456789";
const TOKEN: &str = "tok-secret-9876543210";

async fn leak(host: &Host, t: &str, name: &str, into: &str) -> Result<String, CallError> {
    host.call(CallRequest {
        token: t.into(),
        tool: "fetcher.leak".into(),
        input: json!({"name": name, "into": into}).into(),
        channel: "lib",
        ..CallRequest::default()
    })
    .await
    .outcome
}

async fn host(port: u16) -> (Fixture, Host, String) {
    let a = format!("http://127.0.0.1:{port}");
    let fx = Fixture::builder()
        .plugin(
            PluginSpec::new("fetcher")
                .grants(&format!(
                    "http = [{a:?}]\nsecrets = [\"API_TOKEN\"]\ncredentials = [{{ name = \"INTEL_API\", origin = {a:?}, header = \"Authorization\", scheme = \"Bearer\", methods = [\"GET\"], paths = [\"/v1/**\"] }}]"
                ))
                .entry(
                    "credentials = { INTEL_API = { file = \"intel.key\" } }\nsecrets = { API_TOKEN = { file = \"token.key\" } }",
                ),
        )
        .agent("bot", &["fetcher.*"])
        .build()
        .await;
    std::fs::write(fx.path("intel.key"), KEY).unwrap();
    std::fs::write(fx.path("token.key"), TOKEN).unwrap();
    let host = fx.host().await;
    assert!(
        host.registry().refusals().is_empty(),
        "{:?}",
        host.registry().refusals()
    );
    let t = fx.token("bot", "T-1", &[]).await;
    (fx, host, t)
}

#[tokio::test]
async fn secret_refuses_a_credentials_name_and_an_echo_is_scrubbed() {
    let (port, _seen) = origin().await;
    let (fx, host, t) = host(port).await;
    let err = leak(&host, &t, "INTEL_API", "output").await.unwrap_err();
    assert!(
        err.to_string().contains("`INTEL_API` is a credential"),
        "{err}"
    );
    let out = fetch(
        &host,
        &t,
        "GET",
        &format!("http://127.0.0.1:{port}/v1/echo"),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(out["status"], 200);
    let body: serde_json::Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["authorization"], "Bearer [redacted INTEL_API]");
    let echoed = out["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == "x-echo-auth")
        .unwrap();
    assert_eq!(echoed[1], "Bearer [redacted INTEL_API]");
    host.shutdown("done").await;
    let chain = std::fs::read_to_string(fx.path("state/audit/audit.jsonl")).unwrap();
    assert!(
        chain.contains(r#""scrubbed":["INTEL_API"]"#),
        "the scrubbing is recorded"
    );
    assert!(
        chain.contains(r#""name":"INTEL_API""#) && chain.contains(r#""granted":false"#),
        "the refused read is recorded"
    );
    assert!(!chain.contains(KEY));
}

#[tokio::test]
async fn an_output_error_or_log_line_holding_a_secret_is_blocked_and_recorded() {
    let (port, _seen) = origin().await;
    let (fx, host, t) = host(port).await;
    for (into, place) in [
        ("output", "the output"),
        ("error", "an error message"),
        ("log", "a log line"),
        ("stdout", "a log line"),
    ] {
        match leak(&host, &t, "API_TOKEN", into).await {
            Err(CallError::Failed(CallFailure::SecretBlocked { name, place: p })) => {
                assert_eq!((name.as_str(), p.as_str()), ("API_TOKEN", place), "{into}");
            }
            other => panic!("{into}: {other:?}"),
        }
    }
    // The secret itself is delivered: only letting it out is refused.
    host.shutdown("done").await;
    let chain = std::fs::read_to_string(fx.path("state/audit/audit.jsonl")).unwrap();
    assert!(!chain.contains(TOKEN), "the value never reaches the chain");
    let blocked = chain
        .lines()
        .filter(|l| l.contains(r#""outcome":"secret-blocked""#))
        .collect::<Vec<_>>();
    assert_eq!(blocked.len(), 4, "{chain}");
    assert!(blocked.iter().all(|l| l.contains("value of API_TOKEN")
        && l.contains(r#""name":"API_TOKEN""#)
        && l.contains(r#""granted":true"#)));
}
