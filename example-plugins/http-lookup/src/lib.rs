//! # http-lookup: ask a threat-intel API about an indicator
//!
//! A warrant plugin with one tool, `lookup`, of impact `read`. Given an IP
//! address, domain, URL or file hash (defanged forms such as
//! `hxxps://evil[.]com` are fine), it asks a threat-intel JSON API for its
//! verdict and returns a summary: `found`, `verdict`, `score`, `tags`,
//! `sources`, `first_seen`, `last_seen`, and the origin it asked.
//!
//! ```text
//! INTEL_API=http://127.0.0.1:8787 \
//!   warrant call http-lookup.lookup --input '{"indicator":"198.51.100[.]77"}'
//! ```
//!
//! The request is `GET {INTEL_API}/v1/indicators/{kind}/{indicator}` with
//! `accept: application/json`, through `wasi:http/outgoing-handler`: the host
//! sends it only if the manifest grants the origin, and never follows a
//! redirect (nor does this plugin). The operator sets the environment
//! variable `INTEL_API`; when the manifest also grants the secret
//! `INTEL_API_KEY`, it goes along as `x-api-key`, and is never logged or
//! returned. `sample-intel.json` next to this crate is a data set for a local
//! test server.
//!
//! The logic lives in plain modules tested natively: [`refang`] and
//! [`indicator`] (undo defanging, infer the kind, check), [`api`] (the base
//! URL and the request path), [`summary`] (the response to the [`model`]'s
//! output) and [`transport`] (`wasi:http` error codes in words); [`http`]
//! makes the request. This file is only the glue.

pub mod api;
pub mod http;
pub mod indicator;
pub mod model;
pub mod refang;
pub mod summary;
pub mod transport;

use serde::Deserialize;
use warrant_sdk::{Impact, JsonSchema, Tool, ToolError, log};

use crate::api::ApiBase;
use crate::indicator::Kind;
use crate::model::Output;

/// Input of `lookup`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The indicator: an IPv4/IPv6 address, a domain, a URL, or an MD5,
    /// SHA-1 or SHA-256 hash, 1-512 characters. Defanged forms such as
    /// `hxxps://evil[.]com` or `203.0.113[.]45` are accepted.
    #[schemars(length(min = 1, max = 512))]
    pub indicator: String,
    /// The indicator's kind; inferred from its form when omitted.
    #[serde(default)]
    pub kind: Option<Kind>,
}

/// The `lookup` tool.
#[derive(Debug)]
pub struct Lookup;

impl Tool for Lookup {
    const NAME: &'static str = "lookup";
    const DESCRIPTION: &'static str = "Look up an indicator (IP address, domain, URL or \
        MD5/SHA-1/SHA-256 hash, defanged forms accepted) in the threat-intel API and return its \
        verdict (malicious, suspicious, benign or unknown), score, tags, sources and when it was \
        first and last seen; found is false when the API does not know it.";
    const IMPACT: Impact = Impact::Read;
    type Input = Input;
    type Output = Output;

    fn call(input: Input) -> Result<Output, ToolError> {
        let indicator = indicator::parse(&input.indicator, input.kind)?;
        let base = api_base()?;
        let key = api_key();
        let mut headers: Vec<(&str, &[u8])> = vec![("accept", b"application/json")];
        if let Some(key) = &key {
            headers.push(("x-api-key", key.as_bytes()));
        }
        log::info(&format!(
            "looking up {} {} at {}{}",
            indicator.kind,
            indicator.value,
            base.origin(),
            if key.is_some() {
                " with an API key"
            } else {
                ""
            }
        ));
        let output = http::get(&base, &base.lookup_path(&indicator), &headers)
            .and_then(|response| summary::summarise(&indicator, &base.origin(), &response))
            .map_err(|e| summary::redact(e, key.as_deref()))?;
        log::info(&format!(
            "verdict {:?}, found {}",
            output.verdict, output.found
        ));
        Ok(output)
    }
}

/// The API's base URL, from the environment variable `INTEL_API`.
fn api_base() -> Result<ApiBase, ToolError> {
    match std::env::var("INTEL_API") {
        Ok(text) if !text.trim().is_empty() => ApiBase::parse(&text)
            .map_err(|why| ToolError::failed(format!("INTEL_API is not a usable base URL: {why}"))),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(ToolError::failed("INTEL_API is not valid UTF-8"))
        }
        _ => Err(ToolError::failed(
            "INTEL_API is not set: the operator must set it for this plugin",
        )),
    }
}

/// The API key, when the manifest grants the secret `INTEL_API_KEY`.
fn api_key() -> Option<String> {
    match warrant_sdk::secret("INTEL_API_KEY") {
        Ok(key) if !key.trim().is_empty() => Some(key.trim().to_owned()),
        Ok(_) => {
            log::debug("INTEL_API_KEY is empty; querying without an API key");
            None
        }
        Err(why) => {
            log::debug(&format!("querying without an API key: {why}"));
            None
        }
    }
}

warrant_sdk::export_plugin!(Lookup);
