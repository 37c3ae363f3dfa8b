//! TLS termination for `warrant serve` (rustls), so that MCP over HTTP, the
//! HTTP/JSON API and the OAuth endpoints can be served beyond loopback
//! without a proxy. The certificate chain and key come from PEM files the
//! operator names; they are read again when either file changes, and a
//! change that does not parse is refused with a warning while the server
//! keeps the certificate it has. Handshakes run in their own tasks, with a
//! deadline, so a slow or silent client delays nobody else.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How often the certificate files are checked for a change.
const RELOAD_EVERY: Duration = Duration::from_secs(2);
/// How long a client has to complete its handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// The PEM files of the server's certificate chain and private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl TlsFiles {
    /// Read and check both files into a server configuration (HTTP/1.1 and
    /// HTTP/2 by ALPN).
    ///
    /// # Errors
    ///
    /// Names the file and what is wrong with it.
    pub fn load(&self) -> Result<ServerConfig, String> {
        // Files the operator names on the command line: ambient authority,
        // like the config file itself.
        let read = |p: &Path, what: &str| {
            std::fs::read(p).map_err(|e| format!("the TLS {what} {}: {e}", p.display()))
        };
        let cert_pem = read(&self.cert, "certificate")?;
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("the TLS certificate {}: {e}", self.cert.display()))?;
        if certs.is_empty() {
            return Err(format!(
                "the TLS certificate {} holds no certificate (expected PEM \"BEGIN CERTIFICATE\")",
                self.cert.display()
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(&read(&self.key, "key")?).map_err(|e| {
            format!(
                "the TLS key {}: {e} (expected a PEM private key)",
                self.key.display()
            )
        })?;
        let mut config =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| format!("TLS: {e}"))?
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .map_err(|e| {
                    format!(
                        "the TLS certificate {} and key {} do not make a usable pair: {e}",
                        self.cert.display(),
                        self.key.display()
                    )
                })?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }

    fn stamp(&self) -> (Option<SystemTime>, Option<SystemTime>) {
        let m = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        (m(&self.cert), m(&self.key))
    }
}

/// A listener that hands axum connections whose TLS handshake completed.
pub(crate) struct TlsListener {
    addr: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    /// Start accepting on `tcp` with the configuration from `files` (already
    /// loaded once as `first`), watching the files for changes.
    pub(crate) fn start(tcp: TcpListener, files: TlsFiles, first: ServerConfig) -> Self {
        let addr = tcp
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let current = Arc::new(RwLock::new(Arc::new(first)));
        let (tx, ready) = mpsc::channel(64);
        tokio::spawn(watch(files, Arc::clone(&current), tx.clone()));
        tokio::spawn(accept_loop(tcp, current, tx));
        Self { addr, ready }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(c) => c,
            // The accept loop only ends with the runtime; wait for it.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.addr)
    }
}

type Ready = mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>;

async fn accept_loop(tcp: TcpListener, current: Arc<RwLock<Arc<ServerConfig>>>, tx: Ready) {
    loop {
        // The server dropping its listener (a stop) closes the channel and
        // ends this loop, which closes the socket.
        let accepted = tokio::select! {
            a = tcp.accept() => a,
            () = tx.closed() => return,
        };
        let (stream, peer) = match accepted {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("accepting a connection failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let config = Arc::clone(&current.read().unwrap_or_else(|p| p.into_inner()));
        let tx = tx.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE, TlsAcceptor::from(config).accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = tx.send((tls, peer)).await;
                }
                Ok(Err(e)) => tracing::debug!("TLS handshake with {peer} failed: {e}"),
                Err(_) => tracing::debug!("TLS handshake with {peer} timed out"),
            }
        });
    }
}

/// Read the files again whenever they change; keep the old configuration
/// when the new one does not load. Ends with the server.
async fn watch(files: TlsFiles, current: Arc<RwLock<Arc<ServerConfig>>>, tx: Ready) {
    let mut seen = files.stamp();
    loop {
        tokio::select! {
            () = tokio::time::sleep(RELOAD_EVERY) => {}
            () = tx.closed() => return,
        }
        let now = files.stamp();
        if now == seen {
            continue;
        }
        seen = now;
        match files.load() {
            Ok(c) => {
                *current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(c);
                tracing::info!(
                    "TLS certificate {} reloaded; new connections use it",
                    files.cert.display()
                );
            }
            Err(e) => tracing::warn!("TLS certificate not reloaded, keeping the current one: {e}"),
        }
    }
}
