//! HTTP origins (`scheme://host:port`): how grants name them and how every
//! outbound request is matched against them — one normalisation for both.

use std::fmt;

use super::Invalid;

/// Largest response body a plugin may read, per outbound HTTP request.
pub const MAX_HTTP_RESPONSE_BYTES: u64 = 4 * 1024 * 1024;

/// One origin (`scheme://host[:port]`) a plugin may call.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpOrigin {
    /// `http` or `https`.
    pub scheme: String,
    /// Lower-case host name or IP literal, exactly as granted.
    pub host: String,
    /// The port; the scheme's default when the grant names none.
    pub port: u16,
}

impl fmt::Display for HttpOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// Parse a URI into scheme, normalised host and port: the one
/// normalisation used for granted origins and for every request.
///
/// # Errors
///
/// A message when the scheme is not `http`/`https`, the host is missing or
/// empty, or the URL carries a user name.
pub fn parse_target(uri: &http::Uri) -> Result<HttpOrigin, Invalid> {
    let scheme = uri
        .scheme_str()
        .ok_or(Invalid::from("the request has no scheme"))?
        .to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        other => {
            return Err(Invalid(format!(
                "scheme `{other}` is not allowed; use http or https"
            )));
        }
    };
    let authority = uri
        .authority()
        .ok_or(Invalid::from("the request has no host"))?;
    if authority.as_str().contains('@') {
        return Err(Invalid::from("user names in URLs are not allowed"));
    }
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if host.is_empty() {
        return Err(Invalid::from("the request has an empty host"));
    }
    Ok(HttpOrigin {
        scheme,
        host,
        port: authority.port_u16().unwrap_or(default_port),
    })
}

/// Parse a granted origin, `scheme://host[:port]`, with nothing after it.
///
/// # Errors
///
/// A message saying what is wrong.
pub fn parse_origin(o: &str) -> Result<HttpOrigin, Invalid> {
    let uri: http::Uri = o
        .parse()
        .map_err(|_| Invalid(format!("{o:?} is not a URL")))?;
    if uri.path() != "/" && !uri.path().is_empty() || uri.query().is_some() {
        return Err(Invalid(format!(
            "{o:?} must be an origin only (scheme://host[:port]), without a path"
        )));
    }
    parse_target(&uri).map_err(|why| Invalid(format!("{o:?}: {why}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let o = parse_origin("https://URLhaus-API.abuse.ch").unwrap();
        assert_eq!(
            (o.scheme.as_str(), o.host.as_str(), o.port),
            ("https", "urlhaus-api.abuse.ch", 443)
        );
        assert_eq!(parse_origin("http://127.0.0.1:8080/").unwrap().port, 8080);
        assert!(parse_origin("https://x.example/api").is_err());
        assert!(parse_origin("ftp://x.example").is_err());
        assert!(parse_origin("https://u@x.example").is_err());
    }

    #[test]
    fn parses_targets() {
        let t = parse_target(&"https://Intel.Example.COM./v1?q=1".parse().unwrap()).unwrap();
        assert_eq!(
            (t.scheme.as_str(), t.host.as_str(), t.port),
            ("https", "intel.example.com", 443)
        );
        let t = parse_target(&"http://[::1]:8080/".parse().unwrap()).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 8080));
        assert!(parse_target(&"ftp://x.example/".parse().unwrap()).is_err());
        assert!(parse_target(&"http://user@x.example/".parse().unwrap()).is_err());
    }
}
