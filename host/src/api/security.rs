//! The HTTP server's front door: DNS-rebinding protection (the `Host` and
//! `Origin` of every request), bearer credentials, constant-time compares.
//!
//! A request without `Origin` (curl, SDK clients, agents) is fine; a request
//! with one — a browser — must come from a local page or an origin the
//! operator allowed. The `Host` must name this server: a loopback name, the
//! address it listens on, or a host the operator allowed.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::keys::sha256_hex;

/// Loopback host names, always accepted in `Host` and in local `Origin`s.
const LOOPBACK: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Which `Host` and `Origin` values this server accepts.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    hosts: Vec<String>,
    /// The port it listens on: a local name must come with it.
    port: u16,
    /// Names the operator allowed, with the port when they gave one.
    extra: Vec<(String, Option<u16>)>,
    origins: Vec<(String, String, Option<u16>)>,
}

impl Guard {
    /// Loopback names, the listening address (when it is a specific one),
    /// and what the operator added.
    pub(crate) fn new(bound: SocketAddr, extra_hosts: &[String], extra_origins: &[String]) -> Self {
        let mut hosts: Vec<String> = LOOPBACK.iter().map(|h| (*h).to_owned()).collect();
        if !bound.ip().is_unspecified() {
            hosts.push(bound.ip().to_string());
        }
        let extra: Vec<(String, Option<u16>)> = extra_hosts
            .iter()
            .map(|h| {
                let h = h.trim().to_ascii_lowercase();
                match h.parse::<http::uri::Authority>() {
                    Ok(a) => (normal_host(a.host()), a.port_u16()),
                    Err(_) => (h, None),
                }
            })
            .collect();
        hosts.extend(extra.iter().map(|(h, _)| h.clone()));
        let origins = extra_origins
            .iter()
            .filter_map(|o| parse_origin(o))
            .collect();
        Self {
            hosts,
            port: bound.port(),
            extra,
            origins,
        }
    }

    /// The hosts, for rmcp's own `Host` check on `/mcp`.
    pub(crate) fn hosts(&self) -> Vec<String> {
        self.hosts.clone()
    }

    /// The origins, in rmcp's syntax, for its own check on `/mcp`.
    pub(crate) fn rmcp_origins(&self, extra: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        for scheme in ["http", "https"] {
            for h in ["localhost", "127.0.0.1", "[::1]"] {
                out.push(format!("{scheme}://{h}:*"));
            }
        }
        out.extend(extra.iter().cloned());
        out
    }

    fn host_ok(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers.get(header::HOST) else {
            // HTTP/1.1 requires Host; HTTP/1.0 clients may omit it.
            return true;
        };
        let Ok(text) = value.to_str() else {
            return false;
        };
        let Ok(a) = text.parse::<http::uri::Authority>() else {
            return false;
        };
        let (host, port) = (normal_host(a.host()), a.port_u16());
        // A name the operator allowed: with its port if they gave one.
        if self
            .extra
            .iter()
            .any(|(h, want)| *h == host && (want.is_none() || *want == port))
        {
            return true;
        }
        // A local name (or the listen address): this server's port (or
        // none, for port 80) — also when the operator allowed the same
        // name with another port, a balancer's on this machine.
        self.hosts.contains(&host) && port.map_or(self.port == 80, |p| p == self.port)
    }

    fn origin_ok(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers.get(header::ORIGIN) else {
            return true;
        };
        let Some((scheme, host, port)) = value.to_str().ok().and_then(parse_origin) else {
            return false;
        };
        let local = LOOPBACK.contains(&host.as_str()) && (scheme == "http" || scheme == "https");
        local
            || self
                .origins
                .iter()
                .any(|(s, h, p)| *s == scheme && *h == host && *p == port)
    }
}

fn normal_host(h: &str) -> String {
    h.trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

/// `scheme://host[:port]` → its parts; `None` for anything else (including
/// the opaque origin `null`).
fn parse_origin(text: &str) -> Option<(String, String, Option<u16>)> {
    let uri = text.trim().parse::<http::Uri>().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let authority = uri.authority()?;
    if uri.path_and_query().is_some_and(|p| p.as_str() != "/") {
        return None;
    }
    Some((scheme, normal_host(authority.host()), authority.port_u16()))
}

/// Middleware, outermost: an HTTP/2 request names its host in the
/// `:authority` pseudo-header, not in `Host` (RFC 9113 §8.3.1). Give it the
/// `Host` header that authority stands for, as a proxy converting to
/// HTTP/1.1 would, so that every check and every URL built from the host —
/// DNS-rebinding protection, the console's own origin, the OAuth metadata —
/// sees the same name on either protocol. A request that names neither is
/// left without one.
pub(crate) async fn host_from_authority(mut req: Request, next: Next) -> Response {
    if !req.headers().contains_key(header::HOST)
        && let Some(value) = req
            .uri()
            .authority()
            .and_then(|a| http::HeaderValue::from_str(a.as_str()).ok())
    {
        req.headers_mut().insert(header::HOST, value);
    }
    next.run(req).await
}

/// Middleware: refuse a request whose `Host` or `Origin` is not accepted.
pub(crate) async fn check_origin(
    State(guard): State<Arc<Guard>>,
    req: Request,
    next: Next,
) -> Response {
    if !guard.host_ok(req.headers()) {
        return error(
            StatusCode::FORBIDDEN,
            "host",
            "the Host header does not name this server (DNS-rebinding protection); \
             an operator can allow a name with --allow-host",
        );
    }
    if !guard.origin_ok(req.headers()) {
        return error(
            StatusCode::FORBIDDEN,
            "origin",
            "requests from this Origin are refused (only local pages and origins allowed \
             with --allow-origin may call this server)",
        );
    }
    next.run(req).await
}

/// The credential in `Authorization: Bearer <credential>` (or `DPoP
/// <credential>`, RFC 9449 §7.1, whose proof the server checks apart).
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("dpop"))
        .then(|| rest.trim())
        .filter(|t| !t.is_empty())
}

/// A quoted-string for a `WWW-Authenticate` parameter (RFC 6750 §3: no
/// `"` or `\`, printable ASCII only).
pub(crate) fn quoted(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' {
                c
            } else {
                '\''
            }
        })
        .take(300)
        .collect()
}

/// Compare two secrets in time independent of where they differ (both are
/// hashed first, so their lengths do not show either).
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    let (x, y) = (sha256_hex(a.as_bytes()), sha256_hex(b.as_bytes()));
    x.bytes()
        .zip(y.bytes())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

/// A refusal of the HTTP layer, as a JSON body
/// `{"error": {"layer", "message"}}` with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiFault {
    status: StatusCode,
    layer: String,
    message: String,
}

impl ApiFault {
    /// The status it answers with.
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    pub(crate) fn new(status: StatusCode, layer: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            layer: layer.to_owned(),
            message: message.into(),
        }
    }
}

#[derive(serde::Serialize)]
struct FaultBody<'a> {
    error: FaultDetail<'a>,
}

#[derive(serde::Serialize)]
struct FaultDetail<'a> {
    layer: &'a str,
    message: &'a str,
}

impl IntoResponse for ApiFault {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(FaultBody {
                error: FaultDetail {
                    layer: &self.layer,
                    message: &self.message,
                },
            }),
        )
            .into_response()
    }
}

/// A JSON error body: `{"error": {"layer", "message"}}`.
pub(crate) fn error(status: StatusCode, layer: &str, message: &str) -> Response {
    ApiFault::new(status, layer, message).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), v.parse().unwrap());
        }
        h
    }

    #[test]
    fn origins_and_hosts() {
        let g = Guard::new(
            "127.0.0.1:8787".parse().unwrap(),
            &["warrant.example".into(), "proxy.example:8443".into()],
            &["https://console.example".into()],
        );
        let ok = |o: &str| g.origin_ok(&headers(&[(header::ORIGIN, o)]));
        assert!(g.origin_ok(&HeaderMap::new()));
        assert!(ok("http://localhost:3000"));
        assert!(ok("http://[::1]:8080"));
        assert!(ok("https://console.example"));
        assert!(!ok("https://console.example:8443"));
        assert!(!ok("https://evil.example"));
        assert!(!ok("http://localhost.evil.example"));
        assert!(!ok("null"));
        let host = |h: &str| g.host_ok(&headers(&[(header::HOST, h)]));
        assert!(host("127.0.0.1:8787") && host("localhost:8787") && host("warrant.example:443"));
        assert!(host("proxy.example:8443") && !host("proxy.example:9443"));
        // Another port of this machine is another server (DNS rebinding).
        assert!(!host("127.0.0.1:8788") && !host("localhost"));
        assert!(!host("evil.example:8787"));
        // A balancer on this machine, allowed by name and port: the host's
        // own address still answers.
        let g = Guard::new(
            "127.0.0.1:8787".parse().unwrap(),
            &["127.0.0.1:8080".into()],
            &[],
        );
        let host = |h: &str| g.host_ok(&headers(&[(header::HOST, h)]));
        assert!(host("127.0.0.1:8080") && host("127.0.0.1:8787") && host("localhost:8787"));
        assert!(!host("127.0.0.1:9999"));
    }

    #[test]
    fn bearer_and_secrets() {
        let h = headers(&[(header::AUTHORIZATION, "Bearer  abc ")]);
        assert_eq!(bearer(&h), Some("abc"));
        assert_eq!(
            bearer(&headers(&[(header::AUTHORIZATION, "Basic abc")])),
            None
        );
        assert!(same_secret("s3cret", "s3cret"));
        assert!(!same_secret("s3cret", "s3cres"));
        assert!(!same_secret("s3cret", ""));
    }
}
