//! `warrant serve` terminating TLS itself: HTTPS with the operator's
//! certificate, nothing in plain HTTP on that port, the certificate read
//! again when its files change (a broken one refused, the old kept), a key
//! that does not match refused at start, and beyond loopback allowed with a
//! certificate but not without one.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use warrant::api::{ApiError, ServeOptions, TlsFiles, serve_http};
use warrant_tests::{Fixture, PluginSpec};

/// A fresh CA and a certificate it signed for localhost / 127.0.0.1, as
/// PEM: (ca, cert, key).
pub(crate) fn issue() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

/// GET /healthz over TLS, trusting only `ca_pem`: the status line, or the
/// TLS error.
async fn get_healthz(port: u16, ca_pem: &str) -> Result<String, String> {
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    let req =
        format!("GET /healthz HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n");
    tls.write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    Ok(text.lines().next().unwrap_or_default().to_owned()
        + if text.contains("\"status\":\"ok\"") {
            " ok"
        } else {
            ""
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_terminates_tls_and_reads_a_changed_certificate_again() {
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("ioc-extract"))
        .agent("bot", &["ioc-extract.*"])
        .build()
        .await;
    let (ca1, cert1, key1) = issue();
    let files = TlsFiles {
        cert: fx.path("tls/cert.pem"),
        key: fx.path("tls/key.pem"),
    };
    std::fs::create_dir_all(fx.path("tls")).unwrap();
    std::fs::write(&files.cert, &cert1).unwrap();
    std::fs::write(&files.key, &key1).unwrap();

    // A key that is not the certificate's is refused at start, naming both.
    let (_, _, other_key) = issue();
    let wrong = TlsFiles {
        cert: files.cert.clone(),
        key: fx.path("tls/other.pem"),
    };
    std::fs::write(&wrong.key, &other_key).unwrap();
    let host = fx.host().await;
    let refused = serve_http(
        host.clone(),
        ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            handle_signals: false,
            tls: Some(wrong),
            ..ServeOptions::default()
        },
    )
    .await;
    assert!(
        matches!(&refused, Err(ApiError::Tls(why)) if why.contains("do not make a usable pair")),
        "{refused:?}"
    );

    // Beyond loopback: refused without a certificate, allowed with one.
    let plain = serve_http(
        host.clone(),
        ServeOptions {
            listen: "0.0.0.0:0".parse().unwrap(),
            handle_signals: false,
            ..ServeOptions::default()
        },
    )
    .await;
    assert!(
        matches!(plain, Err(ApiError::NotLoopback { .. })),
        "{plain:?}"
    );
    let server = serve_http(
        host,
        ServeOptions {
            listen: "0.0.0.0:0".parse().unwrap(),
            handle_signals: false,
            tls: Some(files.clone()),
            ..ServeOptions::default()
        },
    )
    .await
    .expect("serves with a certificate");
    let port = server.local_addr().port();

    assert_eq!(get_healthz(port, &ca1).await.unwrap(), "HTTP/1.1 200 OK ok");
    // Plain HTTP on the TLS port gets no HTTP answer.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(plain.is_err(), "{plain:?}");

    // A broken certificate file is refused; the server keeps the old one.
    std::fs::write(&files.cert, "not a certificate").unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(get_healthz(port, &ca1).await.unwrap(), "HTTP/1.1 200 OK ok");

    // A new certificate from another CA is picked up: clients trusting only
    // the new CA connect, clients trusting only the old one no longer do.
    let (ca2, cert2, key2) = issue();
    std::fs::write(&files.key, &key2).unwrap();
    std::fs::write(&files.cert, &cert2).unwrap();
    let mut seen = false;
    for _ in 0..100 {
        if get_healthz(port, &ca2).await.is_ok() {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen, "the new certificate was not picked up within 10 s");
    assert_eq!(get_healthz(port, &ca2).await.unwrap(), "HTTP/1.1 200 OK ok");
    let old = get_healthz(port, &ca1).await;
    assert!(
        old.is_err(),
        "a client trusting only the old CA still connected: {old:?}"
    );
    server.shutdown().await.unwrap();
}
