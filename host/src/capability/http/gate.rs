//! The one place where a plugin's `wasi:http` requests are checked against
//! its grant, get the credentials their bindings name, and have their
//! responses scrubbed.
//!
//! Every request is parsed once and its origin checked ([`check`]);
//! redirects are never followed by the host (a 3xx goes back to the
//! plugin, and any request it makes next is checked again). A credential
//! whose binding matches the request is added, replacing a header of that
//! name the plugin set. Response bodies are capped, requests have a
//! deadline, and every request — sent or refused — is recorded, with each
//! credential bound to its origin. The connection goes to exactly the
//! address that was checked, for `https://` too ([`egress`]).
//!
//! [`check`]: super::check
//! [`egress`]: super::egress

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use crate::capability::credentials::{self, Credential, CredentialUse};
use crate::capability::http::body::{CappedBody, ScrubbedBody};
use crate::capability::http::check::{authorize, check_granted};
use crate::capability::http::egress::{self, Timeouts};
use crate::capability::http::HttpUse;
use crate::capability::{CapabilityUse, Scrubber, Watch};
use crate::vocab::{HttpOrigin, MAX_HTTP_RESPONSE_BYTES, parse_target};

/// Deadline for connecting and for the first response byte.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP hooks of one call's store.
pub struct HttpGate {
    allowed: Arc<[HttpOrigin]>,
    credentials: Arc<[Credential]>,
    watch: Arc<Watch>,
    tls: Arc<rustls::ClientConfig>,
    stub: Option<SocketAddr>,
    uses: Arc<Mutex<Vec<Entry>>>,
}

impl std::fmt::Debug for HttpGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpGate")
            .field("allowed", &self.allowed)
            .finish_non_exhaustive()
    }
}

/// One recorded use: a request (filled in as it goes) or a credential.
enum Entry {
    Http(HttpRecord, Arc<AtomicU64>, Arc<Mutex<Vec<String>>>),
    Credential(CredentialUse),
}

/// One request as seen by the gate.
#[derive(Debug)]
struct HttpRecord {
    method: String,
    origin: String,
    path: String,
    status: Option<u16>,
    refused: Option<String>,
}

impl HttpGate {
    /// The gate of one call: the granted origins (and `warrant dev`'s
    /// stub, see [`HttpGranted`](super::HttpGranted)), the credentials, the watched values,
    /// the TLS roots.
    pub fn new(
        allowed: Arc<[HttpOrigin]>,
        stub: Option<SocketAddr>,
        credentials: Arc<[Credential]>,
        watch: Arc<Watch>,
        tls: Arc<rustls::ClientConfig>,
    ) -> Self {
        Self {
            allowed,
            credentials,
            watch,
            tls,
            stub,
            uses: Arc::default(),
        }
    }

    /// The requests and credentials used so far.
    pub fn take_uses(&self) -> Vec<CapabilityUse> {
        let Ok(mut uses) = self.uses.lock() else {
            return Vec::new();
        };
        uses.drain(..)
            .map(|e| match e {
                Entry::Http(r, bytes, scrubbed) => CapabilityUse::Http(HttpUse {
                    method: r.method,
                    origin: r.origin,
                    path: r.path,
                    status: r.status,
                    bytes: bytes.load(Ordering::Relaxed),
                    refused: r.refused,
                    scrubbed: scrubbed.lock().map(|r| r.clone()).unwrap_or_default(),
                }),
                Entry::Credential(c) => CapabilityUse::Credentials(c),
            })
            .collect()
    }
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

/// A setter of one request's record.
type Set = Arc<dyn Fn(&dyn Fn(&mut HttpRecord)) + Send + Sync>;

impl WasiHttpHooks for HttpGate {
    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        drop(fut);
        let (allowed, credentials, watch, tls, stub) = (
            Arc::clone(&self.allowed),
            Arc::clone(&self.credentials),
            Arc::clone(&self.watch),
            Arc::clone(&self.tls),
            self.stub,
        );
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
        let scrubbed = Arc::new(Mutex::new(Vec::new()));
        let target = parse_target(request.uri());
        let origin = match &target {
            Ok(t) => t.to_string(),
            Err(_) => request.uri().to_string().chars().take(256).collect(),
        };
        let uses = Arc::clone(&self.uses);
        let index = match uses.lock() {
            Ok(mut u) => {
                u.push(Entry::Http(
                    HttpRecord {
                        method: method.clone(),
                        origin: origin.clone(),
                        path: path.clone(),
                        status: None,
                        refused: None,
                    },
                    Arc::clone(&bytes),
                    Arc::clone(&scrubbed),
                ));
                u.len() - 1
            }
            Err(_) => usize::MAX,
        };
        let record = Arc::clone(&uses);
        let set: Set = Arc::new(move |f: &dyn Fn(&mut HttpRecord)| {
            if let Ok(mut u) = record.lock()
                && let Some(Entry::Http(r, _, _)) = u.get_mut(index)
            {
                f(r);
            }
        });
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
            let plain_path = request.uri().path().to_owned();
            for (c, applies) in credentials::applying(&credentials, &target, &method, &plain_path) {
                let mut u = CredentialUse {
                    name: c.binding.name.clone(),
                    method: method.clone(),
                    origin: origin.clone(),
                    path: path.clone(),
                    added: false,
                    why: applies.clone().err(),
                };
                if applies.is_ok() && c.source.is_none() {
                    // `warrant dev` without a value: sent as it is.
                    u.why = Some("no value is supplied for it".into());
                } else if applies.is_ok() {
                    let header = match c.value(&tls).await {
                        Ok(v) => c.header_value(&v).ok_or_else(|| {
                            "its value cannot be written in a header".to_owned()
                        }),
                        Err(why) => Err(why),
                    };
                    match header {
                        Ok(v) => {
                            request.headers_mut().insert(c.binding.header.clone(), v);
                            u.added = true;
                        }
                        Err(why) => {
                            let refusal = format!("credential {} is unavailable: {why}", u.name);
                            tracing::warn!(target: "warrant::sandbox", "http request refused: {refusal}");
                            u.why = Some(why);
                            push(&uses, Entry::Credential(u));
                            set(&|r| r.refused = Some(refusal.clone()));
                            return Err(HttpError::InternalError(Some(refusal)));
                        }
                    }
                }
                push(&uses, Entry::Credential(u));
            }
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
            let (mut response, io) = egress::send(request, &addr, tls_for, timeouts).await?;
            let status = response.status().as_u16();
            set(&|r| r.status = Some(status));
            let values = watch.values();
            if !values.is_empty() {
                scrub_headers(response.headers_mut(), &values, &scrubbed);
            }
            let response = response.map(|body| {
                let capped = CappedBody {
                    inner: body.boxed_unsync(),
                    seen: bytes,
                    cap: MAX_HTTP_RESPONSE_BYTES,
                }
                .boxed_unsync();
                if values.is_empty() {
                    return capped;
                }
                ScrubbedBody {
                    inner: capped,
                    scrubber: Scrubber::new(&values),
                    scrubbed: Arc::clone(&scrubbed),
                    pending: None,
                    done: false,
                }
                .boxed_unsync()
            });
            Ok((response, io))
        })
    }
}

fn push(uses: &Mutex<Vec<Entry>>, e: Entry) {
    if let Ok(mut u) = uses.lock() {
        u.push(e);
    }
}

/// Replace watched values in response header values.
fn scrub_headers(
    headers: &mut http::HeaderMap,
    values: &[(String, crate::capability::Secret)],
    scrubbed: &Mutex<Vec<String>>,
) {
    for v in headers.values_mut() {
        let mut s = Scrubber::new(values);
        let out = s.whole(v.as_bytes());
        if s.replaced.is_empty() {
            continue;
        }
        if let Ok(new) = http::HeaderValue::from_bytes(&out) {
            *v = new;
        }
        if let Ok(mut r) = scrubbed.lock() {
            for n in s.replaced {
                if !r.contains(&n) {
                    r.push(n);
                }
            }
        }
    }
}
