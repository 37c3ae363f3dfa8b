//! Outbound HTTP over `wasi:http`, as the host mediates it (feature
//! `http`).
//!
//! Every request goes through the host, which sends it only to an origin
//! the manifest grants and never follows redirects; a refused request is an
//! error naming the refusal, and the host records it.
//!
//! ```no_run
//! let r = warrant_sdk::http::get("https://intel.example.com/v1/indicators/203.0.113.7")?;
//! if r.status == 200 {
//!     let v: serde_json::Value = r.json()?;
//! }
//! # Ok::<(), warrant_sdk::ToolError>(())
//! ```

use wasi::http::outgoing_handler;
use wasi::http::types::{ErrorCode, Fields, Method, OutgoingBody, OutgoingRequest, Scheme};
use wasi::io::streams::StreamError;

use crate::ToolError;

/// Largest response body read (the host caps it too).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// A response: status, headers (lower-case names) and the whole body.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The body as UTF-8 text (invalid sequences replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    ///
    /// # Errors
    ///
    /// [`ToolError::Failed`] when it is not JSON of that shape.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, ToolError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ToolError::failed(format!("the response is not the JSON expected: {e}")))
    }
}

/// `GET url`.
///
/// # Errors
///
/// [`ToolError::Failed`] naming why: a refusal by the host, a network error.
pub fn get(url: &str) -> Result<Response, ToolError> {
    request("GET", url, &[], None)
}

/// Send one request and read the whole response.
///
/// # Errors
///
/// [`ToolError::Failed`] naming why: a refusal by the host, a network error,
/// a body over [`MAX_BODY`].
pub fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<Response, ToolError> {
    let (scheme, rest) = match url.split_once("://") {
        Some(("https", rest)) => (Scheme::Https, rest),
        Some(("http", rest)) => (Scheme::Http, rest),
        _ => return Err(ToolError::failed(format!("not an http(s) URL: {url}"))),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let entries: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
        .collect();
    let fields = Fields::from_list(&entries)
        .map_err(|e| ToolError::failed(format!("the request headers were refused: {e:?}")))?;
    let req = OutgoingRequest::new(fields);
    let m = match method {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "HEAD" => Method::Head,
        "PATCH" => Method::Patch,
        other => Method::Other(other.to_owned()),
    };
    let ok = req.set_method(&m).is_ok()
        && req.set_scheme(Some(&scheme)).is_ok()
        && req.set_authority(Some(authority)).is_ok()
        && req.set_path_with_query(Some(path)).is_ok();
    if !ok {
        return Err(ToolError::failed(format!(
            "cannot build a request for {url}"
        )));
    }
    let out = req
        .body()
        .map_err(|()| ToolError::failed("no request body"))?;
    let fail = |code: ErrorCode| ToolError::failed(describe(method, url, &code));
    let future = outgoing_handler::handle(req, None).map_err(fail)?;
    if let Some(body) = body {
        let stream = out
            .write()
            .map_err(|()| ToolError::failed("no request stream"))?;
        for chunk in body.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| ToolError::failed(format!("{method} {url}: sending failed: {e:?}")))?;
        }
        drop(stream);
    }
    OutgoingBody::finish(out, None).map_err(fail)?;
    future.subscribe().block();
    let response = match future.get() {
        Some(Ok(Ok(r))) => r,
        Some(Ok(Err(code))) => return Err(fail(code)),
        Some(Err(())) | None => {
            return Err(ToolError::failed(format!("{method} {url}: no response")));
        }
    };
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(k, v)| {
            (
                k.to_ascii_lowercase(),
                String::from_utf8_lossy(&v).into_owned(),
            )
        })
        .collect();
    let incoming = response
        .consume()
        .map_err(|()| ToolError::failed("the response body is unreadable"))?;
    let stream = incoming
        .stream()
        .map_err(|()| ToolError::failed("the response body is unreadable"))?;
    let mut body = Vec::new();
    let read = loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) if body.len() + chunk.len() > MAX_BODY => {
                break Err(ToolError::failed(format!(
                    "{method} {url}: the body is too large"
                )));
            }
            Ok(chunk) => body.extend_from_slice(&chunk),
            Err(StreamError::Closed) => break Ok(()),
            Err(StreamError::LastOperationFailed(_)) => {
                break Err(ToolError::failed(format!(
                    "{method} {url}: the response broke off"
                )));
            }
        }
    };
    // The stream is a child of the body: it goes first.
    drop(stream);
    drop(incoming);
    read.map(|()| Response {
        status,
        headers,
        body,
    })
}

fn describe(method: &str, url: &str, code: &ErrorCode) -> String {
    match code {
        ErrorCode::HttpRequestDenied => format!(
            "{method} {url}: refused by the host (the origin is not in this plugin's http grant)"
        ),
        other => format!("{method} {url}: {other:?}"),
    }
}
