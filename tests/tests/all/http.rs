//! Outbound HTTP grants with the real `http-lookup` plugin against a small
//! threat-intel server on 127.0.0.1 that the test grants explicitly: the
//! granted origin works; other ports, hosts, IP spellings, names resolving
//! to private addresses and redirects are refused; a plugin without an http
//! grant does not load.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use warrant::{CallError, CallRequest, Host};
use warrant_tests::{Fixture, PluginSpec};

#[derive(Clone)]
struct Intel {
    data: Arc<Value>,
    hits: Arc<AtomicUsize>,
    last_key: Arc<std::sync::Mutex<Option<String>>>,
    redirect_to: Option<String>,
}

async fn lookup(
    State(s): State<Intel>,
    headers: HeaderMap,
    Path((kind, value)): Path<(String, String)>,
) -> Response {
    s.hits.fetch_add(1, Ordering::SeqCst);
    *s.last_key.lock().unwrap() = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if value == "203.0.113.99"
        && let Some(to) = &s.redirect_to
    {
        return (
            StatusCode::FOUND,
            [(
                header::LOCATION,
                format!("{to}/v1/indicators/ip/203.0.113.45"),
            )],
        )
            .into_response();
    }
    let found = s.data["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"] == value.as_str() && i["kind"] == kind.as_str());
    match found {
        Some(i) => axum::Json(i.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Start an intel server on 127.0.0.1; returns its port and hit counter.
async fn intel_server(redirect_to: Option<String>) -> (u16, Intel) {
    let path =
        warrant_tests::workspace_root().join("example-plugins/http-lookup/sample-intel.json");
    let state = Intel {
        data: Arc::new(serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()),
        hits: Arc::default(),
        last_key: Arc::default(),
        redirect_to,
    };
    let app = axum::Router::new()
        .route("/v1/indicators/{kind}/{value}", get(lookup))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, state)
}

async fn host_with(grant: &str, api: &str, extra_entry: &str) -> (Fixture, Host, String) {
    let fx = Fixture::builder()
        .plugin(
            PluginSpec::new("http-lookup")
                .grants(&format!("http = [{grant:?}]\nenv = [\"INTEL_API\"]\nsecrets = [\"INTEL_API_KEY\"]"))
                .entry(&format!("env = {{ INTEL_API = {api:?} }}\nsecrets = {{ INTEL_API_KEY = {{ file = \"intel.key\" }} }}\n{extra_entry}")),
        )
        .agent("enricher", &["http-lookup.*"])
        .build()
        .await;
    std::fs::write(fx.path("intel.key"), "k-123").unwrap();
    let host = fx.host().await;
    assert!(
        host.registry().refusals().is_empty(),
        "{:?}",
        host.registry().refusals()
    );
    let t = fx.token("enricher", "INC-2026-0400", &[]).await;
    (fx, host, t)
}

async fn lookup_call(host: &Host, t: &str, indicator: &str) -> Result<Value, CallError> {
    let r = host
        .call(CallRequest {
            token: t.into(),
            tool: "http-lookup.lookup".into(),
            input: json!({"indicator": indicator}).into(),
            channel: "lib",
            ..CallRequest::default()
        })
        .await;
    r.outcome.map(|o| serde_json::from_str(&o).unwrap())
}

#[tokio::test]
async fn the_granted_origin_is_reachable_and_every_request_is_audited() {
    let (port, intel) = intel_server(None).await;
    let origin = format!("http://127.0.0.1:{port}");
    let (fx, host, t) = host_with(&origin, &origin, "").await;
    let out = lookup_call(&host, &t, "203.0.113[.]45").await.unwrap();
    assert_eq!(out["verdict"], "malicious");
    assert_eq!(out["found"], true);
    assert_eq!(
        intel.last_key.lock().unwrap().as_deref(),
        Some("k-123"),
        "the granted secret went along"
    );
    let miss = lookup_call(&host, &t, "192.0.2.200").await.unwrap();
    assert_eq!(miss["found"], false);
    host.shutdown("done").await;
    let chain = std::fs::read_to_string(fx.path("state/audit/audit.jsonl")).unwrap();
    assert!(
        chain.contains(&format!("\"origin\":\"http://127.0.0.1:{port}\""))
            && chain.contains("\"status\":200")
            && chain.contains("\"method\":\"GET\""),
        "each request is recorded"
    );
    assert!(!chain.contains("k-123"), "the key never reaches the chain");
}

fn denied(r: Result<Value, CallError>) -> String {
    let e = r.unwrap_err().to_string();
    assert!(
        e.contains("HTTP-request-denied") || e.contains("refused"),
        "{e}"
    );
    e
}

#[tokio::test]
async fn other_ports_hosts_and_ip_spellings_are_refused() {
    let (port, intel) = intel_server(None).await;
    let (other_port, other) = intel_server(None).await;
    let granted = format!("http://127.0.0.1:{port}");
    for api in [
        format!("http://127.0.0.1:{other_port}"), // wrong port
        format!("http://localhost:{port}"),       // another host name for the same address
        format!("http://2130706433:{port}"),      // the same IP, spelt as a number
        format!("https://127.0.0.1:{port}"),      // another scheme
    ] {
        let (fx, host, t) = host_with(&granted, &api, "").await;
        denied(lookup_call(&host, &t, "203.0.113.45").await);
        host.shutdown("done").await;
        let chain = std::fs::read_to_string(fx.path("state/audit/audit.jsonl")).unwrap();
        assert!(
            chain.contains("not in this plugin's http grant"),
            "the refusal is recorded for {api}"
        );
    }
    assert_eq!(
        intel.hits.load(Ordering::SeqCst),
        0,
        "nothing reached the granted server by another spelling"
    );
    assert_eq!(
        other.hits.load(Ordering::SeqCst),
        0,
        "nothing reached the port that was not granted"
    );
}

#[tokio::test]
async fn a_granted_name_that_resolves_to_a_private_address_is_refused() {
    // The machine's own name resolves to a loopback or private address; only
    // an exact IP literal (or `localhost`) grant may reach such addresses.
    let (port, intel) = intel_server(None).await;
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_owned();
    let resolved: Vec<std::net::SocketAddr> =
        std::net::ToSocketAddrs::to_socket_addrs(&(name.as_str(), port))
            .unwrap()
            .collect();
    assert!(
        resolved
            .iter()
            .all(|a| a.ip().is_loopback()
                || matches!(a.ip(), std::net::IpAddr::V4(v) if v.is_private())),
        "{name} -> {resolved:?}"
    );
    let origin = format!("http://{name}:{port}");
    let (_fx, host, t) = host_with(&origin, &origin, "").await;
    let e = denied(lookup_call(&host, &t, "203.0.113.45").await);
    assert!(
        e.contains("non-public") || e.contains("HTTP-request-denied"),
        "{e}"
    );
    assert_eq!(intel.hits.load(Ordering::SeqCst), 0);
    // `localhost`, granted exactly, is the operator's explicit choice.
    let origin = format!("http://localhost:{port}");
    let (_fx, host, t) = host_with(&origin, &origin, "").await;
    assert_eq!(
        lookup_call(&host, &t, "203.0.113.45").await.unwrap()["verdict"],
        "malicious"
    );
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (target_port, target) = intel_server(None).await;
    let (port, _intel) = intel_server(Some(format!("http://127.0.0.1:{target_port}"))).await;
    let origin = format!("http://127.0.0.1:{port}");
    let (_fx, host, t) = host_with(&origin, &origin, "").await;
    let e = lookup_call(&host, &t, "203.0.113.99")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("redirects are not followed"), "{e}");
    assert_eq!(
        target.hits.load(Ordering::SeqCst),
        0,
        "the redirect target was never contacted"
    );
}

#[tokio::test]
async fn without_an_http_grant_the_plugin_does_not_load() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("http-lookup"))
        .agent("enricher", &["http-lookup.*"])
        .build()
        .await;
    let host = fx.host().await;
    let r: Vec<String> = host
        .registry()
        .refusals()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        r.len() == 1
            && r[0].contains("refused import `wasi:http/")
            && r[0].contains("grants no outbound HTTP"),
        "{r:?}"
    );
}
