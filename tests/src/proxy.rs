//! A TCP proxy on loopback that a test can freeze: while frozen it keeps
//! every connection open and forwards nothing — a dropped route, a hung
//! proxy — so that a host behind it sees silence, not a closed connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// A freezable proxy to one address.
#[derive(Debug, Clone)]
pub struct Proxy {
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    frozen: Arc<AtomicBool>,
}

impl Proxy {
    /// Proxy 127.0.0.1:`port` → `target`.
    ///
    /// # Panics
    ///
    /// When it cannot listen.
    pub async fn start(target: std::net::SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("listen");
        let port = listener.local_addr().expect("address").port();
        let frozen = Arc::new(AtomicBool::new(false));
        let f = Arc::clone(&frozen);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let f = Arc::clone(&f);
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    tokio::spawn(pump(cr, sw, Arc::clone(&f)));
                    tokio::spawn(pump(sr, cw, f));
                });
            }
        });
        Self { port, frozen }
    }

    /// Stop forwarding anything (connections stay open).
    pub fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }

    /// Forward again, what was held first.
    pub fn thaw(&self) {
        self.frozen.store(false, Ordering::SeqCst);
    }

    /// `url` (a `postgres://…@host:port/db` URL) through this proxy.
    pub fn url_for(&self, url: &str) -> String {
        let (head, tail) = url.split_once('@').expect("a URL with a user");
        let (_, db) = tail.split_once('/').expect("a URL with a database");
        format!("{head}@127.0.0.1:{}/{db}", self.port)
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    frozen: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        while frozen.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
