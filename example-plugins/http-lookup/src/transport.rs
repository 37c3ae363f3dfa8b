//! Put a `wasi:http` error code into words. The host answers a request it
//! refuses, or one that fails on the way, with one of these codes; the tool
//! reports it by its WIT name, with what it most likely means.

use wasi::http::types::ErrorCode;

/// The WIT name of an error code, e.g. `HTTP-request-denied`.
pub fn code_name(code: &ErrorCode) -> &'static str {
    use ErrorCode as E;
    match code {
        E::DnsTimeout => "DNS-timeout",
        E::DnsError(_) => "DNS-error",
        E::DestinationNotFound => "destination-not-found",
        E::DestinationUnavailable => "destination-unavailable",
        E::DestinationIpProhibited => "destination-IP-prohibited",
        E::DestinationIpUnroutable => "destination-IP-unroutable",
        E::ConnectionRefused => "connection-refused",
        E::ConnectionTerminated => "connection-terminated",
        E::ConnectionTimeout => "connection-timeout",
        E::ConnectionReadTimeout => "connection-read-timeout",
        E::ConnectionWriteTimeout => "connection-write-timeout",
        E::ConnectionLimitReached => "connection-limit-reached",
        E::TlsProtocolError => "TLS-protocol-error",
        E::TlsCertificateError => "TLS-certificate-error",
        E::TlsAlertReceived(_) => "TLS-alert-received",
        E::HttpRequestDenied => "HTTP-request-denied",
        E::HttpRequestLengthRequired => "HTTP-request-length-required",
        E::HttpRequestBodySize(_) => "HTTP-request-body-size",
        E::HttpRequestMethodInvalid => "HTTP-request-method-invalid",
        E::HttpRequestUriInvalid => "HTTP-request-URI-invalid",
        E::HttpRequestUriTooLong => "HTTP-request-URI-too-long",
        E::HttpRequestHeaderSectionSize(_) => "HTTP-request-header-section-size",
        E::HttpRequestHeaderSize(_) => "HTTP-request-header-size",
        E::HttpRequestTrailerSectionSize(_) => "HTTP-request-trailer-section-size",
        E::HttpRequestTrailerSize(_) => "HTTP-request-trailer-size",
        E::HttpResponseIncomplete => "HTTP-response-incomplete",
        E::HttpResponseHeaderSectionSize(_) => "HTTP-response-header-section-size",
        E::HttpResponseHeaderSize(_) => "HTTP-response-header-size",
        E::HttpResponseBodySize(_) => "HTTP-response-body-size",
        E::HttpResponseTrailerSectionSize(_) => "HTTP-response-trailer-section-size",
        E::HttpResponseTrailerSize(_) => "HTTP-response-trailer-size",
        E::HttpResponseTransferCoding(_) => "HTTP-response-transfer-coding",
        E::HttpResponseContentCoding(_) => "HTTP-response-content-coding",
        E::HttpResponseTimeout => "HTTP-response-timeout",
        E::HttpUpgradeFailed => "HTTP-upgrade-failed",
        E::HttpProtocolError => "HTTP-protocol-error",
        E::LoopDetected => "loop-detected",
        E::ConfigurationError => "configuration-error",
        E::InternalError(_) => "internal-error",
    }
}

/// A sentence for an error code met while querying the API at `origin`.
pub fn describe(code: &ErrorCode, origin: &str) -> String {
    use ErrorCode as E;
    let name = code_name(code);
    match code {
        E::HttpRequestDenied => format!(
            "the host refused the request ({name}): the origin {origin} is not in this \
             plugin's http grant, or its name resolves to a non-public address"
        ),
        E::HttpRequestUriInvalid => {
            format!("the host refused the request ({name}): the URL is malformed or not http(s)")
        }
        E::DestinationIpProhibited => {
            format!("the host refused the request ({name}): connecting to {origin} is prohibited")
        }
        E::DnsTimeout | E::DnsError(_) | E::DestinationNotFound => {
            let rcode = match code {
                E::DnsError(p) => p.rcode.as_deref().map(|r| format!(", {r}")),
                _ => None,
            };
            format!(
                "the name of the intel API at {origin} could not be resolved ({name}{})",
                rcode.unwrap_or_default()
            )
        }
        E::ConnectionRefused | E::DestinationUnavailable | E::DestinationIpUnroutable => {
            format!("could not connect to the intel API at {origin} ({name}); is it running?")
        }
        E::ConnectionTimeout
        | E::ConnectionReadTimeout
        | E::ConnectionWriteTimeout
        | E::HttpResponseTimeout => {
            format!("the intel API at {origin} did not answer in time ({name})")
        }
        E::ConnectionTerminated | E::HttpResponseIncomplete => {
            format!(
                "the intel API at {origin} closed the connection before answering in full ({name})"
            )
        }
        E::TlsProtocolError | E::TlsCertificateError | E::TlsAlertReceived(_) => {
            let alert = match code {
                E::TlsAlertReceived(p) => p.alert_message.as_deref().map(|m| format!(": {m}")),
                _ => None,
            };
            format!(
                "the TLS handshake with the intel API at {origin} failed ({name}{})",
                alert.unwrap_or_default()
            )
        }
        E::HttpResponseBodySize(_) => {
            format!("the intel API's response is larger than the host allows ({name})")
        }
        E::HttpProtocolError
        | E::HttpResponseHeaderSectionSize(_)
        | E::HttpResponseHeaderSize(_)
        | E::HttpResponseTrailerSectionSize(_)
        | E::HttpResponseTrailerSize(_)
        | E::HttpResponseTransferCoding(_)
        | E::HttpResponseContentCoding(_) => {
            format!("the intel API at {origin} sent a response the host could not use ({name})")
        }
        E::InternalError(Some(why)) => {
            format!("the HTTP request to {origin} failed inside the host ({name}: {why})")
        }
        _ => format!("the HTTP request to {origin} failed ({name})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasi::http::types::{DnsErrorPayload, TlsAlertReceivedPayload};

    const API: &str = "http://127.0.0.1:8787";

    #[test]
    fn names_a_denied_request() {
        let m = describe(&ErrorCode::HttpRequestDenied, API);
        assert!(
            m.starts_with("the host refused the request (HTTP-request-denied): the origin http://127.0.0.1:8787 is not in this plugin's http grant"),
            "{m}"
        );
    }

    #[test]
    fn names_every_code_it_describes() {
        let dns = ErrorCode::DnsError(DnsErrorPayload {
            rcode: Some("NXDOMAIN".into()),
            info_code: None,
        });
        let tls = ErrorCode::TlsAlertReceived(TlsAlertReceivedPayload {
            alert_id: Some(42),
            alert_message: Some("bad certificate".into()),
        });
        for (code, words) in [
            (dns, "could not be resolved (DNS-error, NXDOMAIN)"),
            (tls, "(TLS-alert-received: bad certificate)"),
            (
                ErrorCode::ConnectionRefused,
                "(connection-refused); is it running?",
            ),
            (
                ErrorCode::ConnectionTimeout,
                "did not answer in time (connection-timeout)",
            ),
            (
                ErrorCode::HttpResponseBodySize(Some(5)),
                "larger than the host allows",
            ),
            (
                ErrorCode::HttpRequestUriInvalid,
                "refused the request (HTTP-request-URI-invalid)",
            ),
            (
                ErrorCode::InternalError(Some("oops".into())),
                "(internal-error: oops)",
            ),
            (ErrorCode::LoopDetected, "failed (loop-detected)"),
        ] {
            let m = describe(&code, API);
            assert!(m.contains(words), "{code:?}: {m}");
        }
    }
}
