//! The agent's side of the wire for a client that cannot be told a bearer
//! token: a reverse proxy on 127.0.0.1 that adds `Authorization: Bearer
//! <task token>` to every request (unless the request has its own) and
//! forwards it to `warrant serve`, streaming the answer back as it comes
//! (SSE included). A request that names the proxy in `Host` is forwarded
//! naming warrant's own address; any other `Host` (a DNS-rebinding probe)
//! is forwarded as it is, so warrant's own check sees it.

use std::net::SocketAddr;

use axum::body::Body;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, HOST, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

/// A running proxy; stopped when dropped.
pub struct BearerProxy {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for BearerProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start a proxy to `upstream` that presents `token`.
pub async fn start(upstream: SocketAddr, token: &str) -> BearerProxy {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the proxy");
    let me = listener.local_addr().expect("proxy address");
    let bearer = HeaderValue::from_str(&format!("Bearer {token}")).expect("token is a header");
    let task = tokio::spawn(async move {
        loop {
            let Ok((conn, _)) = listener.accept().await else {
                return;
            };
            let bearer = bearer.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    forward(req, upstream, me.port(), bearer.clone())
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(conn), service)
                    .await;
            });
        }
    });
    BearerProxy {
        base: format!("http://{me}"),
        task,
    }
}

async fn forward(
    mut req: Request<Incoming>,
    upstream: SocketAddr,
    my_port: u16,
    bearer: HeaderValue,
) -> Result<Response<Body>, std::convert::Infallible> {
    let host = req
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<hyper::http::uri::Authority>().ok());
    if let Some(a) = host
        && a.port_u16() == Some(my_port)
        && ["127.0.0.1", "localhost"].contains(&a.host())
        && let Ok(v) = HeaderValue::from_str(&format!("{}:{}", a.host(), upstream.port()))
    {
        req.headers_mut().insert(HOST, v);
    }
    if !req.headers().contains_key(AUTHORIZATION) {
        req.headers_mut().insert(AUTHORIZATION, bearer);
    }
    let bad_gateway = |why: String| {
        let mut r = Response::new(Body::from(why));
        *r.status_mut() = StatusCode::BAD_GATEWAY;
        r
    };
    let stream = match tokio::net::TcpStream::connect(upstream).await {
        Ok(s) => s,
        Err(e) => return Ok(bad_gateway(format!("warrant is not reachable: {e}"))),
    };
    let (mut sender, conn) = match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    {
        Ok(x) => x,
        Err(e) => return Ok(bad_gateway(format!("handshake with warrant: {e}"))),
    };
    tokio::spawn(conn);
    Ok(match sender.send_request(req).await {
        Ok(resp) => resp.map(Body::new),
        Err(e) => bad_gateway(format!("forwarding to warrant: {e}")),
    })
}
