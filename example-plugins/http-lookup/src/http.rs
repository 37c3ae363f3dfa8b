//! One `GET` through `wasi:http/outgoing-handler`.
//!
//! This is the plugin's only way out of its sandbox: the host checks the
//! request's origin against the manifest's http grant before anything is
//! sent, and hands redirects back unfollowed. The calls here need the host,
//! so they are exercised by the integration tests rather than unit tests.

use warrant_sdk::ToolError;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    self as http, ErrorCode, Fields, IncomingResponse, Method, OutgoingRequest, RequestOptions,
};
use wasi::io::streams::StreamError;

use crate::api::{ApiBase, Scheme};
use crate::model::Response;
use crate::transport;

/// Largest response body the plugin reads.
pub const MAX_BODY: usize = 1024 * 1024;
/// Bytes asked for per read.
const CHUNK: u64 = 64 * 1024;
/// Deadline to connect and for the first byte, in nanoseconds (the host may
/// shorten it).
const TIMEOUT_NS: u64 = 10_000_000_000;

/// `GET {base}{path_with_query}` with `headers`, and read the response.
///
/// The body is read only for statuses whose body the summary quotes or
/// parses: not for a redirect or a `404`.
///
/// # Errors
///
/// `failed` when the host refuses or cannot complete the request (naming
/// the `wasi:http` error code), or the body exceeds [`MAX_BODY`].
pub fn get(
    base: &ApiBase,
    path_with_query: &str,
    headers: &[(&str, &[u8])],
) -> Result<Response, ToolError> {
    let origin = base.origin();
    let fail = |code: ErrorCode| ToolError::failed(transport::describe(&code, &origin));
    let entries: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.to_vec()))
        .collect();
    let fields = Fields::from_list(&entries)
        .map_err(|e| ToolError::failed(format!("the request headers were refused: {e:?}")))?;
    let request = OutgoingRequest::new(fields);
    let scheme = match base.scheme {
        Scheme::Http => http::Scheme::Http,
        Scheme::Https => http::Scheme::Https,
    };
    let set = request.set_method(&Method::Get).is_ok()
        && request.set_scheme(Some(&scheme)).is_ok()
        && request.set_authority(Some(&base.authority)).is_ok()
        && request.set_path_with_query(Some(path_with_query)).is_ok();
    if !set {
        return Err(ToolError::failed(format!(
            "could not build a request for {origin}{path_with_query}"
        )));
    }
    // Hosts may refuse to take timeouts; the request still goes, with theirs.
    let options = RequestOptions::new();
    let _ = options.set_connect_timeout(Some(TIMEOUT_NS));
    let _ = options.set_first_byte_timeout(Some(TIMEOUT_NS));
    let _ = options.set_between_bytes_timeout(Some(TIMEOUT_NS));

    let future = outgoing_handler::handle(request, Some(options)).map_err(fail)?;
    future.subscribe().block();
    let response = match future.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => return Err(fail(code)),
        Some(Err(())) | None => {
            return Err(ToolError::failed(format!(
                "the response from {origin} was not available"
            )));
        }
    };
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .first()
        .map(|v| String::from_utf8_lossy(v).into_owned());
    let body = if (300..400).contains(&status) || status == 404 {
        Vec::new()
    } else {
        read_body(&response, &origin)?
    };
    Ok(Response {
        status,
        location,
        body,
    })
}

/// Read a response body to its end, failing past [`MAX_BODY`] bytes.
fn read_body(response: &IncomingResponse, origin: &str) -> Result<Vec<u8>, ToolError> {
    let unreadable = || ToolError::failed(format!("the response body from {origin} is unreadable"));
    let incoming = response.consume().map_err(|()| unreadable())?;
    let stream = incoming.stream().map_err(|()| unreadable())?;
    let mut body = Vec::new();
    let result = loop {
        match stream.blocking_read(CHUNK) {
            Ok(chunk) if body.len() + chunk.len() > MAX_BODY => {
                break Err(ToolError::failed(format!(
                    "the intel API's response is larger than {} KiB; not reading more",
                    MAX_BODY / 1024
                )));
            }
            Ok(chunk) => body.extend_from_slice(&chunk),
            Err(StreamError::Closed) => break Ok(body),
            Err(StreamError::LastOperationFailed(e)) => {
                break Err(match http::http_error_code(&e) {
                    Some(code) => ToolError::failed(transport::describe(&code, origin)),
                    None => ToolError::failed(format!(
                        "reading the response from {origin} failed: {}",
                        e.to_debug_string()
                    )),
                });
            }
        }
    };
    // The stream is a child of the body: it must go first.
    drop(stream);
    drop(incoming);
    result
}
