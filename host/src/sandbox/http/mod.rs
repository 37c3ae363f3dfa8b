//! Outbound HTTP mediation: the one place where a plugin's `wasi:http`
//! requests are checked against its grant.
//!
//! Every request is parsed once, its `scheme://host:port` must equal a granted
//! origin exactly, and a host name must resolve only to public addresses
//! (private, loopback and link-local addresses are reachable only when the
//! grant names that IP literal or `localhost` itself). Redirects are never
//! followed by the host: a 3xx goes back to the plugin, and any request it
//! makes next is checked again. Response bodies are capped, requests have a
//! deadline, and every request — sent or refused — is recorded as a
//! [`CapabilityUse::Http`]. The connection goes to exactly the address that
//! was checked, for `https://` too ([`egress`](super::egress)).

use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use crate::sandbox::egress::{self, Timeouts};

use crate::vocab::{CapabilityUse, HttpOrigin, MAX_HTTP_RESPONSE_BYTES, parse_target};

/// Deadline for connecting and for the first response byte.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP hooks of one call's store.
pub(crate) struct HttpGate {
    allowed: Arc<[HttpOrigin]>,
    tls: Arc<rustls::ClientConfig>,
    stub: Option<SocketAddr>,
    uses: Arc<Mutex<Vec<HttpRecord>>>,
}

/// One request as seen by the gate; `bytes` is filled as the body streams.
#[derive(Debug)]
pub(crate) struct HttpRecord {
    method: String,
    origin: String,
    path: String,
    status: Option<u16>,
    bytes: Arc<AtomicU64>,
    refused: Option<String>,
}

impl HttpGate {
    pub(crate) fn new(
        allowed: Arc<[HttpOrigin]>,
        tls: Arc<rustls::ClientConfig>,
        stub: Option<SocketAddr>,
    ) -> Self {
        Self {
            allowed,
            tls,
            stub,
            uses: Arc::default(),
        }
    }

    /// The requests made so far, as capability uses.
    pub(crate) fn take_uses(&self) -> Vec<CapabilityUse> {
        let Ok(mut uses) = self.uses.lock() else {
            return Vec::new();
        };
        uses.drain(..)
            .map(|r| CapabilityUse::Http {
                method: r.method,
                origin: r.origin,
                path: r.path,
                status: r.status,
                bytes: r.bytes.load(Ordering::Relaxed),
                refused: r.refused,
            })
            .collect()
    }

    fn record(&self, record: HttpRecord) -> usize {
        match self.uses.lock() {
            Ok(mut uses) => {
                uses.push(record);
                uses.len() - 1
            }
            Err(_) => usize::MAX,
        }
    }
}

/// Whether an address is on the public internet (not loopback, private,
/// link-local, shared, multicast, unspecified or reserved).
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80)
        }
    }
}

/// Check a target against the grant and resolve it to the addresses the
/// connection may use (every one of them checked), in the resolver's order.
pub(crate) async fn authorize(
    allowed: &[HttpOrigin],
    target: &HttpOrigin,
) -> Result<Vec<SocketAddr>, String> {
    check_granted(allowed, target)?;
    resolve(target).await
}

/// Whether the target's origin is exactly one the grant names.
fn check_granted(allowed: &[HttpOrigin], target: &HttpOrigin) -> Result<(), String> {
    let granted = allowed
        .iter()
        .any(|o| o.scheme == target.scheme && o.host == target.host && o.port == target.port);
    if !granted {
        let list: Vec<String> = allowed.iter().map(ToString::to_string).collect();
        return Err(format!(
            "{}://{}:{} is not in this plugin's http grant ({})",
            target.scheme,
            target.host,
            target.port,
            if list.is_empty() {
                "it may not use the network".to_owned()
            } else {
                format!("granted: {}", list.join(", "))
            }
        ));
    }
    Ok(())
}

/// Resolve a granted target (see [`authorize`]).
async fn resolve(target: &HttpOrigin) -> Result<Vec<SocketAddr>, String> {
    if let Ok(ip) = target.host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, target.port)]);
    }
    let explicit_local = target.host == "localhost";
    let addrs: Vec<SocketAddr> = tokio::time::timeout(
        REQUEST_TIMEOUT,
        tokio::net::lookup_host((target.host.as_str(), target.port)),
    )
    .await
    .map_err(|_| format!("resolving {} timed out", target.host))?
    .map_err(|e| format!("cannot resolve {}: {e}", target.host))?
    .collect();
    if addrs.is_empty() {
        return Err(format!("{} has no addresses", target.host));
    }
    if !explicit_local && let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
        return Err(format!(
            "{} resolves to {}, a non-public address; grant that address explicitly to allow it",
            target.host,
            bad.ip()
        ));
    }
    Ok(addrs)
}

type SendFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

impl WasiHttpHooks for HttpGate {
    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        drop(fut);
        let allowed = Arc::clone(&self.allowed);
        let tls = Arc::clone(&self.tls);
        let stub = self.stub;
        let method = request.method().to_string();
        let path: String = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .chars()
            .take(512)
            .collect();
        let bytes = Arc::new(AtomicU64::new(0));
        let target = parse_target(request.uri());
        let origin = match &target {
            Ok(t) => format!("{}://{}:{}", t.scheme, t.host, t.port),
            Err(_) => request.uri().to_string().chars().take(256).collect(),
        };
        let index = self.record(HttpRecord {
            method,
            origin,
            path,
            status: None,
            bytes: Arc::clone(&bytes),
            refused: None,
        });
        let uses = Arc::clone(&self.uses);
        let set = move |f: &dyn Fn(&mut HttpRecord)| {
            if let Ok(mut uses) = uses.lock()
                && let Some(r) = uses.get_mut(index)
            {
                f(r);
            }
        };
        Box::new(async move {
            let target = match target {
                Ok(t) => t,
                Err(why) => {
                    set(&|r| r.refused = Some(why.to_string()));
                    return Err(HttpError::HttpRequestUriInvalid);
                }
            };
            let checked = match stub {
                Some(stub) => check_granted(&allowed, &target).map(|()| vec![stub]),
                None => authorize(&allowed, &target).await,
            };
            let addr = match checked {
                Ok(addr) => addr,
                Err(why) => {
                    tracing::warn!(target: "warrant::sandbox", "http request refused: {why}");
                    set(&|r| r.refused = Some(why.clone()));
                    return Err(HttpError::HttpRequestDenied);
                }
            };
            // The plugin's Host header, if any, is replaced by the granted
            // origin's name: the server sees what the grant names.
            let host_header = if (target.scheme == "https" && target.port == 443)
                || (target.scheme == "http" && target.port == 80)
            {
                target.host.clone()
            } else {
                format!("{}:{}", target.host, target.port)
            };
            if let Ok(v) = http::HeaderValue::from_str(&host_header) {
                request.headers_mut().insert(http::header::HOST, v);
            }
            let pick = |o: Option<Duration>| o.unwrap_or(REQUEST_TIMEOUT).min(REQUEST_TIMEOUT);
            let timeouts = Timeouts {
                connect: pick(options.and_then(|o| o.connect_timeout)),
                first_byte: pick(options.and_then(|o| o.first_byte_timeout)),
                between_bytes: pick(options.and_then(|o| o.between_bytes_timeout)),
            };
            let tls_for = (target.scheme == "https").then_some((target.host.as_str(), tls));
            // `warrant dev`: checked like any request, answered locally.
            let tls_for = if stub.is_some() { None } else { tls_for };
            let (response, io) = egress::send(request, &addr, tls_for, timeouts).await?;
            let status = response.status().as_u16();
            set(&|r| r.status = Some(status));
            let response = response.map(|body| {
                CappedBody {
                    inner: body.boxed_unsync(),
                    seen: bytes,
                    cap: MAX_HTTP_RESPONSE_BYTES,
                }
                .boxed_unsync()
            });
            Ok((response, io))
        })
    }
}

/// A response body that fails once more than `cap` bytes arrive.
struct CappedBody {
    inner: WasiBody,
    seen: Arc<AtomicU64>,
    cap: u64,
}

impl Body for CappedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            let total =
                self.seen.fetch_add(data.len() as u64, Ordering::Relaxed) + data.len() as u64;
            if total > self.cap {
                return Poll::Ready(Some(Err(HttpError::HttpResponseBodySize(Some(total)))));
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
}

#[cfg(test)]
mod tests;
