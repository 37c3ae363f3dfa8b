//! Outbound HTTP: requests to exactly the granted origins, through
//! `wasi:http/outgoing-handler`, each one checked by the host.
//!
//! - manifest: `http = ["https://intel.example"]` (origins only);
//! - operator: `[ceilings] http` (origins, host names or `*.domains`);
//! - sandbox: `wasi:http/*` is linked only for a plugin with a grant; every
//!   request is checked in the gate's `send_request` ([`gate`]): its origin
//!   must equal a granted one, a name must resolve to public addresses
//!   only (unless granted exactly), redirects are not followed, responses
//!   are capped and scrubbed of the values the host never lets out;
//!   credentials are added there ([`super::credentials`]);
//! - uses: every request, sent or refused, is recorded.

mod body;
mod ceiling;
mod check;
mod egress;
mod gate;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};
use wasmtime::component::Linker;

pub use ceiling::HttpCeiling;
pub use gate::{HttpGate, REQUEST_TIMEOUT};

use crate::capability::{CallView, Capability, FieldError, GrantError, Grants, Resolve};
use crate::vocab::{Bytes, HttpOrigin, MAX_HTTP_RESPONSE_BYTES, parse_origin, safe};

/// What the sandbox sends HTTP requests to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpGranted {
    /// The granted origins.
    pub origins: Vec<HttpOrigin>,
    /// `warrant dev` only: a request that passed the grant check is sent
    /// over plain HTTP to this local address (a stub answering from files)
    /// instead of to its origin. `None` for every plugin a host loads.
    pub stub: Option<SocketAddr>,
}

/// One outbound request, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpUse {
    /// Request method.
    pub method: String,
    /// `scheme://host:port` as requested.
    pub origin: String,
    /// Path and query, cut at 512 characters.
    pub path: String,
    /// Response status, when one arrived.
    pub status: Option<u16>,
    /// Response body bytes the plugin read.
    pub bytes: u64,
    /// Why the host refused the request, when it did.
    pub refused: Option<String>,
    /// The names of values the host never lets out that the response held
    /// and the host replaced before the plugin read it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scrubbed: Vec<String>,
}

/// The outbound HTTP capability.
#[derive(Debug)]
pub struct Http;

impl Capability for Http {
    const NAME: &'static str = "http";
    const GRANT_DOC: &'static str = "Origins the plugin may send requests to, `scheme://host[:port]`.";
    const CEILING_DOC: &'static str = "What HTTP grants may name: origins (`https://intel.example:443`), host names (`intel.example`) or domains (`*.example.com`).";
    const ALWAYS_WRITTEN: bool = true;
    type Grant = Vec<String>;
    type Terms = Vec<HttpOrigin>;

    fn check(grant: &Vec<String>, _: &Grants) -> Result<Vec<HttpOrigin>, FieldError> {
        grant
            .iter()
            .enumerate()
            .map(|(i, o)| parse_origin(o).map_err(|why| FieldError::new(format!("[{i}]"), why.0)))
            .collect()
    }

    fn is_empty(grant: &Vec<String>) -> bool {
        grant.is_empty()
    }

    fn review(grant: &Vec<String>, _: &Vec<HttpOrigin>, out: &mut Vec<String>) {
        if grant.is_empty() {
            out.push("cannot use the network at all".into());
        } else {
            out.push(format!(
                "may send HTTP requests to exactly: {} — every request is checked, redirects are not followed, responses are capped at {}",
                safe(&grant.join(", ")),
                Bytes(MAX_HTTP_RESPONSE_BYTES)
            ));
        }
        out.push("cannot open sockets or look up names itself".into());
    }

    const CEILING: bool = true;
    type Ceiling = Option<Vec<HttpCeiling>>;

    fn ceiling(written: Option<&[String]>, _: &Path) -> Result<Self::Ceiling, String> {
        written
            .map(|l| {
                l.iter()
                    .map(|h| HttpCeiling::parse(h).map_err(|why| why.0))
                    .collect()
            })
            .transpose()
    }

    type Supply = ();

    fn supply_is_empty((): &()) -> bool {
        true
    }

    type Granted = HttpGranted;

    fn resolve(r: Resolve<'_, Self>) -> Result<HttpGranted, GrantError> {
        for (i, o) in r.terms.iter().enumerate() {
            HttpCeiling::check(r.ceiling.as_deref(), o).map_err(|why| GrantError::Ceiling {
                grant: format!("grants.http[{i}] ({})", r.grant[i]),
                why,
            })?;
        }
        Ok(HttpGranted {
            origins: r.terms.clone(),
            stub: None,
        })
    }

    fn requested(_: &Vec<String>, terms: &Vec<HttpOrigin>, _: &Path) -> HttpGranted {
        HttpGranted {
            origins: terms.clone(),
            stub: None,
        }
    }

    const IMPORTS: &'static [&'static str] = &["wasi:http/types", "wasi:http/outgoing-handler"];

    fn linked(granted: &HttpGranted) -> bool {
        !granted.origins.is_empty()
    }

    fn refusal() -> &'static str {
        "the manifest grants no outbound HTTP (jco builds import wasi:http unless given \
         `--disable http`, which the warrant SDK's build does when the manifest grants no \
         origin)"
    }

    fn describe_import(_: &str, granted: Option<&HttpGranted>) -> String {
        match granted {
            None => "outbound HTTP — needs an http grant; only granted origins, each request \
                     checked"
                .into(),
            Some(g) if g.origins.is_empty() => {
                "REFUSED: outbound HTTP, but the manifest grants no origin".into()
            }
            Some(g) => {
                let list: Vec<String> = g.origins.iter().map(ToString::to_string).collect();
                format!(
                    "outbound HTTP — granted: {} only, each request checked",
                    list.join(", ")
                )
            }
        }
    }

    fn link<T: CallView>(l: &mut Linker<T>) -> wasmtime::Result<()> {
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(l)
    }

    type Use = HttpUse;
    const USE_KIND: &'static str = "http";

    fn show(u: &HttpUse) -> String {
        let HttpUse {
            method,
            origin,
            path,
            status,
            bytes,
            refused,
            scrubbed,
        } = u;
        match refused {
            Some(why) => format!("REFUSED http {method} {origin}{path}: {why}"),
            None => format!(
                "http {method} {origin}{path} → {} ({bytes} bytes){}",
                status.map_or("no response".to_owned(), |s| s.to_string()),
                if scrubbed.is_empty() {
                    String::new()
                } else {
                    format!("; the response held {} — replaced", scrubbed.join(", "))
                }
            ),
        }
    }

    fn matches(u: &HttpUse, what: &str, allowed: bool) -> bool {
        u.refused.is_none() == allowed && (what.is_empty() || u.origin == what)
    }
}
