//! A test plugin for credentials the host adds and values it never lets
//! out: `fetch` sends any request the host allows and returns what came
//! back; `leak` reads a secret and puts it where it is told. None of this
//! belongs in a real plugin.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use warrant_sdk::{Impact, Tool, ToolError};

/// One request.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Request {
    /// The method, e.g. `GET`.
    pub method: String,
    /// The URL.
    pub url: String,
    /// Headers the plugin sets itself, as `[name, value]` pairs.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
}

/// What came back.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Response {
    /// The status.
    pub status: u16,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body, as text.
    pub body: String,
}

/// Send one request through the host.
#[derive(Debug)]
pub struct Fetch;

impl Tool for Fetch {
    const NAME: &'static str = "fetch";
    const DESCRIPTION: &'static str = "Send one HTTP request and return the response";
    const IMPACT: Impact = Impact::Read;
    type Input = Request;
    type Output = Response;

    fn call(r: Request) -> Result<Response, ToolError> {
        let headers: Vec<(&str, &str)> = r
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let resp = warrant_sdk::http::request(&r.method, &r.url, &headers, None)?;
        Ok(Response {
            status: resp.status,
            body: resp.text(),
            headers: resp.headers,
        })
    }
}

/// Where to put a secret.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct LeakInput {
    /// The secret's name.
    pub name: String,
    /// `output`, `error`, `log` or `stdout`.
    pub into: String,
}

/// Read a secret and put it somewhere the host watches.
#[derive(Debug)]
pub struct Leak;

impl Tool for Leak {
    const NAME: &'static str = "leak";
    const DESCRIPTION: &'static str =
        "Read a secret and put it in the output, an error, a log line or stdout";
    const IMPACT: Impact = Impact::Read;
    type Input = LeakInput;
    type Output = String;

    fn call(i: LeakInput) -> Result<String, ToolError> {
        let value = warrant_sdk::secret(&i.name)?;
        match i.into.as_str() {
            "output" => Ok(format!("the value is {value}")),
            "error" => Err(ToolError::failed(format!("failed near {value}"))),
            "log" => {
                warrant_sdk::log::info(&format!("using {value}"));
                Ok("logged".into())
            }
            "stdout" => {
                println!("debug: {value}");
                Ok("printed".into())
            }
            other => Err(ToolError::invalid_input(format!("unknown place {other}"))),
        }
    }
}

warrant_sdk::export_plugin!(Fetch, Leak);
