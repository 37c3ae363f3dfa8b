//! The host's own outbound HTTP (not a plugin's: that is mediated in
//! `sandbox`): one HTTP/1.1 request on hyper, TLS verified for the URL's host
//! name for `https://`, with a deadline and a bound on the answer's size.
//! Used to fetch identity providers' signing keys and to deliver approval
//! notifications.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt as _;
use tokio::net::TcpStream;
use wasmtime_wasi_http::io::TokioIo;

/// One answer: status code and body.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The HTTP status code.
    pub(crate) status: u16,
    /// The body, at most the limit asked for.
    pub(crate) body: Vec<u8>,
}

/// One request.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    /// `GET` or `POST`.
    pub(crate) method: http::Method,
    /// `http://` or `https://` URL.
    pub(crate) url: &'a str,
    /// Extra headers.
    pub(crate) headers: Vec<(&'static str, String)>,
    /// The body (empty for a GET).
    pub(crate) body: Vec<u8>,
    /// The most bytes of answer read.
    pub(crate) limit: usize,
    /// The deadline for the whole exchange.
    pub(crate) timeout: Duration,
}

/// Send `r`; the answer whatever its status.
///
/// # Errors
///
/// A sentence naming the URL when it cannot be reached, TLS fails, the
/// deadline passes or the answer is too large.
pub(crate) async fn send(
    r: Request<'_>,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<Answer, String> {
    let url = r.url.to_owned();
    let timeout = r.timeout;
    match tokio::time::timeout(timeout, exchange(r, tls)).await {
        Ok(a) => a,
        Err(_) => Err(format!("{url} did not answer within {timeout:?}")),
    }
}

async fn exchange(r: Request<'_>, tls: &Arc<rustls::ClientConfig>) -> Result<Answer, String> {
    let url = r.url;
    let uri: http::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
    let host = uri
        .host()
        .ok_or_else(|| format!("{url} names no host"))?
        .to_owned();
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(format!("{url}: only http:// and https:// URLs")),
    };
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let bare = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let tcp = TcpStream::connect((bare.as_str(), port))
        .await
        .map_err(|e| format!("cannot connect to {url}: {e}"))?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let mut req = http::Request::builder().method(r.method).uri(path).header(
        http::header::HOST,
        uri.authority().map_or(host.clone(), |a| a.to_string()),
    );
    for (k, v) in &r.headers {
        req = req.header(*k, v.as_str());
    }
    let req = req
        .body(http_body_util::Full::new(bytes::Bytes::from(r.body)))
        .map_err(|e| e.to_string())?;
    if https {
        let name =
            rustls::pki_types::ServerName::try_from(bare).map_err(|e| format!("{url}: {e}"))?;
        let s = tokio_rustls::TlsConnector::from(Arc::clone(tls))
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS with {url}: {e}"))?;
        over(TokioIo::new(s), req, r.limit, url).await
    } else {
        over(TokioIo::new(tcp), req, r.limit, url).await
    }
}

async fn over<T>(
    io: T,
    req: http::Request<http_body_util::Full<bytes::Bytes>>,
    limit: usize,
    url: &str,
) -> Result<Answer, String>
where
    T: hyper::rt::Read + hyper::rt::Write + Send + Unpin + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    tokio::spawn(conn);
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = resp.status().as_u16();
    let body = http_body_util::Limited::new(resp.into_body(), limit)
        .collect()
        .await
        .map_err(|e| format!("reading the answer of {url}: {e}"))?;
    Ok(Answer {
        status,
        body: body.to_bytes().to_vec(),
    })
}

/// The TLS client configuration of outbound HTTPS (plugins', the host's
/// own) and of PostgreSQL: the public web's roots
/// plus the operator's extra CAs.
///
/// # Errors
///
/// A message naming a CA file that cannot be read.
pub(crate) fn tls_config(
    extra_ca_files: &[std::path::PathBuf],
) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.into(),
    };
    for f in extra_ca_files {
        // Files the operator's config names: ambient authority.
        let certs = CertificateDer::pem_file_iter(f)
            .map_err(|e| format!("CA file {}: {e}", f.display()))?;
        let mut n = 0;
        for c in certs {
            let c = c.map_err(|e| format!("CA file {}: {e}", f.display()))?;
            roots
                .add(c)
                .map_err(|e| format!("CA file {}: {e}", f.display()))?;
            n += 1;
        }
        if n == 0 {
            return Err(format!("CA file {} holds no certificate", f.display()));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
