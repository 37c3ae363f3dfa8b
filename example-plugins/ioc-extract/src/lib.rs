//! # ioc-extract: pull indicators of compromise out of free text
//!
//! A warrant plugin with one tool, `extract`, of impact `read`. It takes a
//! threat report, an e-mail or a log excerpt and returns the IPv4 and IPv6
//! addresses, domain names, URLs, e-mail addresses and MD5/SHA-1/SHA-256
//! digests in it, deduplicated in first-seen order and refanged
//! (`hxxps://evil[.]com` comes back as `https://evil.com`).
//!
//! It is pure computation: no files, no network, no clock, no randomness, so
//! its manifest grants nothing.
//!
//! The scanners are plain Rust modules, tested natively:
//! [`refang`] (undo defanging), [`network`] (IP addresses), [`domain`]
//! (domain names, e-mail addresses), [`url`], [`hash`], and [`extract`],
//! which runs them over the types in [`model`]. This file is only the glue to the warrant SDK.

pub mod domain;
pub mod extract;
pub mod hash;
pub mod model;
pub mod network;
pub mod refang;
pub mod url;

use serde::Deserialize;
use warrant_sdk::{Impact, JsonSchema, Tool, ToolError};

use crate::model::{IocType, Iocs, Options};

/// Input of the `extract` tool.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The text to scan: a report, an e-mail, a log excerpt. At most 1 MiB.
    text: String,
    /// Which kinds of indicator to extract; every kind when omitted.
    #[serde(default)]
    types: Option<Vec<IocType>>,
    /// Keep private, loopback and link-local IP addresses (10/8, 172.16/12,
    /// 192.168/16, 127/8, 169.254/16, 0/8, fe80::/10, fc00::/7, ...).
    /// Documentation ranges such as 203.0.113.0/24 are always kept.
    #[serde(default)]
    include_private: bool,
}

/// The `extract` tool.
struct Extract;

impl Tool for Extract {
    const NAME: &'static str = "extract";
    const DESCRIPTION: &'static str = "Extract indicators of compromise (IPv4/IPv6 addresses, domains, \
         URLs, e-mail addresses, MD5/SHA-1/SHA-256 hashes) from text such as a threat report, \
         refanging defanged forms like hxxps://evil[.]com; each list is deduplicated in \
         first-seen order.";
    const IMPACT: Impact = Impact::Read;
    type Input = Input;
    type Output = Iocs;

    fn call(input: Input) -> Result<Iocs, ToolError> {
        let mut options = Options {
            include_private: input.include_private,
            ..Options::default()
        };
        if let Some(types) = input.types {
            options.types = types.into_iter().collect();
        }
        extract::extract(&input.text, &options)
    }
}

warrant_sdk::export_plugin!(Extract);
