//! Finding 9: with `--tls-cert` the server offered `h2` by ALPN but did not
//! answer HTTP/2, so curl and browsers — which prefer it — failed against
//! the TLS listener. It serves HTTP/2 now: an HTTP/2 client calls the API,
//! and the console works in Chromium over TLS (HTTP/2, Secure cookie,
//! state-changing POSTs with their Origin and CSRF checks).

use std::io::BufRead as _;
use std::process::{Command, Stdio};
use std::sync::Arc;

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use serde_json::{Value, json};
use warrant::api::{ServeOptions, TlsFiles, serve_http};

use crate::api::support::soc;
use crate::console::browser::{chromium, driver};

/// A TLS connection to 127.0.0.1:`port` offering only `h2`, trusting `ca`.
async fn h2(port: u16, ca: &str) -> hyper::client::conn::http2::SendRequest<Full<Bytes>> {
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(ca.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tls),
    )
    .await
    .expect("an HTTP/2 connection");
    tokio::spawn(conn);
    send
}

async fn send(
    h2: &mut hyper::client::conn::http2::SendRequest<Full<Bytes>>,
    req: hyper::Request<Full<Bytes>>,
) -> (u16, Value) {
    let res = h2.send_request(req).await.expect("an HTTP/2 answer");
    assert_eq!(res.version(), hyper::Version::HTTP_2);
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tls_listener_serves_http2_to_clients_and_browsers() {
    let fx = soc().await;
    let (ca, cert, key) = crate::api::tls::issue();
    std::fs::write(fx.path("cert.pem"), &cert).unwrap();
    std::fs::write(fx.path("key.pem"), &key).unwrap();
    let host = fx.host().await;
    let server = serve_http(
        host.clone(),
        ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            handle_signals: false,
            tls: Some(TlsFiles {
                cert: fx.path("cert.pem"),
                key: fx.path("key.pem"),
            }),
            ..ServeOptions::default()
        },
    )
    .await
    .expect("serves");
    let port = server.local_addr().port();
    let base = format!("https://localhost:{port}");

    // An HTTP/2 client: health, and a tool call through the API.
    let mut c = h2(port, &ca).await;
    let get = hyper::Request::get(format!("{base}/healthz"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let (status, body) = send(&mut c, get).await;
    assert_eq!((status, &body["status"]), (200, &json!("ok")), "{body}");
    let token = fx.token("triage-bot", "INC-9", &[]).await;
    let call = hyper::Request::post(format!("{base}/v1/tools/ioc-extract.extract/call"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(
            json!({"input": {"text": "beacon to 198.51.100.77"}}).to_string(),
        )))
        .unwrap();
    let (status, body) = send(&mut c, call).await;
    assert_eq!(status, 200, "{body}");
    // HTTP/2 names the host in `:authority`: DNS-rebinding protection
    // checks it as it checks `Host`.
    let rebound = hyper::Request::get(format!("https://attacker.example:{port}/healthz"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let (status, body) = send(&mut c, rebound).await;
    assert_eq!(
        (status, &body["error"]["layer"]),
        (403, &json!("host")),
        "{body}"
    );

    // The console in Chromium over TLS.
    let link = crate::console::link(&fx, &base, "carol");
    let config = json!({"chromium": chromium(), "link": link, "base": base});
    let mut child = Command::new("node")
        .arg("tls.mjs")
        .arg(config.to_string())
        .current_dir(driver())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs");
    let out = child.stdout.take().unwrap();
    let lines: Vec<String> = tokio::task::spawn_blocking(move || {
        std::io::BufReader::new(out)
            .lines()
            .map_while(Result::ok)
            .collect()
    })
    .await
    .unwrap();
    let status = child.wait().unwrap();
    assert!(
        status.success() && lines.iter().any(|l| l == "DONE"),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l == "PROTOCOL h2"), "{lines:?}");

    // The halt and resume pressed in the browser are in the chain, and the
    // host still serves.
    let kinds: Vec<String> = crate::hardening::records(&fx)
        .into_iter()
        .map(|r| r.kind)
        .collect();
    assert!(kinds.iter().any(|k| k == "host.halted") && kinds.iter().any(|k| k == "host.resumed"));
    super::still_serves_and_verifies(&fx, &host, &token, "adversary.echo", super::echo()).await;
}
