//! Sending one checked outbound request: connect to exactly the address the
//! grant check resolved and approved — for `https://` too, where the TLS
//! handshake verifies the certificate for the granted *name* (as SNI) on
//! that fixed address. No second name lookup happens after the check, so a
//! name that changes its answer (DNS rebinding) cannot redirect the
//! connection.
//!
//! Adapted from `wasmtime_wasi_http::default_send_request` (Apache-2.0 WITH
//! LLVM-exception), which resolves the name itself.

use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body::Body;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error as HttpError, WasiBody};

trait Stream: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static {}
impl<T> Stream for T where T: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static {}

/// Timeouts of one request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    pub(crate) connect: Duration,
    pub(crate) first_byte: Duration,
    pub(crate) between_bytes: Duration,
}

type Sent = (
    http::Response<WasiBody>,
    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
);

/// Send `req` to the first of the checked `addrs` that accepts a
/// connection, over TLS verified for `name` when `tls` is given.
pub(crate) async fn send(
    mut req: http::Request<WasiBody>,
    addrs: &[SocketAddr],
    tls: Option<(&str, Arc<rustls::ClientConfig>)>,
    t: Timeouts,
) -> Result<Sent, HttpError> {
    let mut tcp = Err(HttpError::ConnectionTimeout);
    for addr in addrs {
        tcp = match tokio::time::timeout(t.connect, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => Ok(s),
            Ok(Err(e)) => Err(HttpError::Connect(e)),
            Err(_) => Err(HttpError::ConnectionTimeout),
        };
        if tcp.is_ok() {
            break;
        }
    }
    let tcp = tcp?;
    let stream: Box<dyn Stream> = match tls {
        Some((name, config)) => {
            let server = rustls::pki_types::ServerName::try_from(name.to_owned())
                .map_err(|_| HttpError::HttpRequestUriInvalid)?;
            let connector = tokio_rustls::TlsConnector::from(config);
            let s = tokio::time::timeout(t.connect, connector.connect(server, tcp))
                .await
                .map_err(|_| HttpError::ConnectionTimeout)?
                .map_err(HttpError::Tls)?;
            Box::new(s)
        }
        None => Box::new(tcp),
    };
    let (mut sender, conn) = tokio::time::timeout(
        t.connect,
        hyper::client::conn::http1::Builder::new().handshake(TokioIo::new(stream)),
    )
    .await
    .map_err(|_| HttpError::ConnectionTimeout)??;
    // The request line carries only the path; `Host` names the granted
    // origin, which the caller set.
    let pq = req
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    *req.uri_mut() = http::Uri::builder()
        .path_and_query(pq)
        .build()
        .map_err(|_| HttpError::HttpRequestUriInvalid)?;
    let between = if t.between_bytes.is_zero() {
        Duration::new(0, 1)
    } else {
        t.between_bytes
    };
    let send = async move {
        let res = tokio::time::timeout(t.first_byte, sender.send_request(req))
            .await
            .map_err(|_| HttpError::ConnectionReadTimeout)?
            .map_err(HttpError::from)?;
        let mut timeout = tokio::time::interval(between);
        timeout.reset();
        Ok::<_, HttpError>(res.map(|incoming| Incoming { incoming, timeout }))
    };
    let mut send = pin!(send);
    let mut conn = Some(conn);
    let res = std::future::poll_fn(|cx| match send.as_mut().poll(cx) {
        Poll::Ready(r) => Poll::Ready(r),
        Poll::Pending => {
            let Some(fut) = conn.as_mut() else {
                return Poll::Pending;
            };
            let r = ready!(Pin::new(fut).poll(cx));
            conn = None;
            match r {
                Ok(()) => send.as_mut().poll(cx),
                Err(e) => Poll::Ready(Err(HttpError::from(e))),
            }
        }
    })
    .await?;
    let io = async move {
        let Some(conn) = conn.take() else {
            return Ok(());
        };
        conn.await.map_err(|e| {
            if e.is_timeout() {
                HttpError::HttpResponseTimeout
            } else {
                HttpError::from(e)
            }
        })
    };
    use http_body_util::BodyExt as _;
    Ok((
        res.map(|b| b.boxed_unsync()),
        Box::new(io) as Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ))
}

/// A response body with a between-bytes timeout.
struct Incoming {
    incoming: hyper::body::Incoming,
    timeout: tokio::time::Interval,
}

impl Body for Incoming {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, HttpError>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(if e.is_timeout() {
                HttpError::HttpResponseTimeout
            } else {
                HttpError::from(e)
            }))),
            Poll::Ready(Some(Ok(frame))) => {
                self.timeout.reset();
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                ready!(self.timeout.poll_tick(cx));
                Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.incoming.size_hint()
    }
}
