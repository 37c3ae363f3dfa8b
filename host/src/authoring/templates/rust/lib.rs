//! {{id}}: look an indicator up in a threat-intel API.
//!
//! Build: ./build.sh — test: warrant test — try: warrant dev call lookup --input '{"indicator":"203.0.113.7"}'

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use warrant_sdk::{Impact, Tool, ToolError};

/// The API asked when the operator sets no `INTEL_API`.
const DEFAULT_API: &str = "https://intel.example.com";

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// An IP address, domain or hash, 1-256 characters.
    indicator: String,
}

#[derive(Serialize, JsonSchema)]
struct Output {
    found: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<u32>,
}

#[derive(Deserialize)]
struct Answer {
    verdict: String,
    #[serde(default)]
    score: Option<u32>,
}

struct Lookup;

impl Tool for Lookup {
    const NAME: &'static str = "lookup";
    const DESCRIPTION: &'static str =
        "Look an indicator (IP address, domain or hash) up in the threat-intel API; found is false when the API does not know it";
    const IMPACT: Impact = Impact::Read;
    type Input = Input;
    type Output = Output;

    fn call(input: Input) -> Result<Output, ToolError> {
        let indicator = input.indicator.trim();
        if indicator.is_empty() || indicator.len() > 256 {
            return Err(ToolError::invalid_input("`indicator` must be 1-256 characters"));
        }
        if !indicator.chars().all(|c| c.is_ascii_alphanumeric() || ".:-_".contains(c)) {
            return Err(ToolError::invalid_input("`indicator` has characters no indicator has"));
        }
        let api = std::env::var("INTEL_API").unwrap_or_else(|_| DEFAULT_API.to_owned());
        let url = format!("{}/v1/indicators/{indicator}", api.trim_end_matches('/'));
        warrant_sdk::log::info(&format!("looking up {indicator}"));
        let r = warrant_sdk::http::get(&url)?;
        match r.status {
            200 => {
                let a: Answer = r.json()?;
                Ok(Output { found: true, verdict: Some(a.verdict), score: a.score })
            }
            404 => Ok(Output { found: false, verdict: None, score: None }),
            s => Err(ToolError::failed(format!("the intel API answered {s}"))),
        }
    }
}

warrant_sdk::export_plugin!(Lookup);
