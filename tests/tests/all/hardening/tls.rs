//! Finding 11: HTTPS egress connects to the address that was checked and
//! verifies the certificate for the granted name, sent as SNI — no second
//! lookup after the check. A TLS intel server on 127.0.0.1 with a test CA,
//! granted by name (`https://localhost:PORT`).

use std::sync::Arc;

use axum::extract::Path;
use axum::routing::get;
use serde_json::{Value, json};
use warrant::{CallError, CallRequest, Host};
use warrant_tests::{Fixture, PluginSpec};

use super::still_serves_and_verifies;

/// A test CA and a server certificate it signed for `names`.
struct Certs {
    ca_pem: String,
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
}

fn certs(names: &[&str]) -> Certs {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "warrant test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    Certs {
        ca_pem: ca.pem(),
        chain: vec![cert.der().clone()],
        key: rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    }
}

/// Serve the sample intel over TLS on 127.0.0.1; its port.
async fn tls_intel(c: &Certs) -> u16 {
    let data: Value = serde_json::from_str(
        &std::fs::read_to_string(
            warrant_tests::workspace_root().join("example-plugins/http-lookup/sample-intel.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let data = Arc::new(data);
    let app = axum::Router::new().route(
        "/v1/indicators/{kind}/{value}",
        get(move |Path((kind, value)): Path<(String, String)>| {
            let data = Arc::clone(&data);
            async move {
                let found = data["indicators"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|i| i["indicator"] == value.as_str() && i["kind"] == kind.as_str())
                    .cloned();
                axum::Json(found.unwrap_or(Value::Null))
            }
        }),
    );
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(c.chain.clone(), c.key.clone_key())
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper_util::service::TowerToHyperService::new(app);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    port
}

async fn host_for(port: u16, ca: Option<&str>) -> (Fixture, Host, String) {
    let api = format!("https://localhost:{port}");
    let mut b = Fixture::builder()
        .plugin(
            PluginSpec::new("http-lookup")
                .grants(&format!("http = [{api:?}]\nenv = [\"INTEL_API\"]"))
                .entry(&format!("env = {{ INTEL_API = {api:?} }}")),
        )
        .agent("enricher", &["http-lookup.*"]);
    if ca.is_some() {
        b = b.config("[egress]\nca-files = [\"ca.pem\"]");
    }
    let fx = b.build().await;
    if let Some(pem) = ca {
        std::fs::write(fx.path("ca.pem"), pem).unwrap();
    }
    let host = fx.host().await;
    assert!(
        host.registry().refusals().is_empty(),
        "{:?}",
        host.registry().refusals()
    );
    let t = fx.token("enricher", "INC-1", &[]).await;
    (fx, host, t)
}

async fn lookup(host: &Host, t: &str) -> (Result<String, CallError>, String) {
    let r = host
        .call(CallRequest {
            token: t.into(),
            tool: "http-lookup.lookup".into(),
            input: json!({"indicator": "203.0.113.45"}).into(),
            channel: "lib",
            ..CallRequest::default()
        })
        .await;
    (r.outcome, r.call_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_origin_granted_by_name_is_reached_on_the_checked_address() {
    let good = certs(&["localhost"]);
    let port = tls_intel(&good).await;
    let (fx, host, t) = host_for(port, Some(&good.ca_pem)).await;
    let (out, _) = lookup(&host, &t).await;
    let v: Value = serde_json::from_str(&out.expect("the lookup over TLS works")).unwrap();
    assert_eq!(v["verdict"], "malicious", "{v}");
    still_serves_and_verifies(
        &fx,
        &host,
        &t,
        "http-lookup.lookup",
        json!({"indicator": "203.0.113.45"}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_name_or_an_untrusted_ca_is_refused() {
    // The server presents a certificate for another name.
    let other = certs(&["intel.other.example"]);
    let port = tls_intel(&other).await;
    let (_fx, host, t) = host_for(port, Some(&other.ca_pem)).await;
    let (out, _) = lookup(&host, &t).await;
    assert!(
        out.is_err(),
        "a certificate for another name was accepted: {out:?}"
    );
    host.shutdown("done").await;
    // The right name, but a CA the operator did not trust.
    let good = certs(&["localhost"]);
    let port = tls_intel(&good).await;
    let (fx, host, t) = host_for(port, None).await;
    let (out, _) = lookup(&host, &t).await;
    assert!(out.is_err(), "an untrusted CA was accepted: {out:?}");
    // The refusal is in the chain as a use that got no response.
    host.shutdown("done").await;
    let recs = super::records(&fx);
    let done = recs.iter().rev().find(|r| r.kind == "call").unwrap();
    let uses = done.data["uses"].as_array().unwrap();
    assert!(
        uses.iter()
            .any(|u| u["kind"] == "http" && u["status"].is_null()),
        "{uses:?}"
    );
}
