//! Where the intel API lives: the base URL the operator sets in `INTEL_API`
//! (`http(s)://host[:port][/path-prefix]`), and the request path built on it.

use std::fmt;
use std::net::Ipv6Addr;

use crate::indicator::Indicator;

/// The scheme of the intel API's base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain `http`, e.g. a local test server.
    Http,
    /// `https`.
    Https,
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Http => "http",
            Self::Https => "https",
        })
    }
}

/// A parsed `INTEL_API` base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiBase {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// `host[:port]`, the host lower-cased; an IPv6 host in brackets.
    pub authority: String,
    /// A path prefix without a trailing `/`, e.g. `/intel`, or empty.
    pub prefix: String,
}

impl ApiBase {
    /// Parse a base URL of the form `http(s)://host[:port][/path-prefix]`.
    ///
    /// # Errors
    ///
    /// A sentence saying what is wrong, without echoing the value (it could
    /// carry credentials).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (scheme, rest) = text
            .split_once("://")
            .ok_or("expected http(s)://host[:port][/path]")?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => return Err(format!("scheme `{other}` is not http or https")),
        };
        let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        if path.contains(['?', '#']) {
            return Err("a query or fragment is not allowed; give a path prefix only".into());
        }
        if !path.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("the path prefix must be printable ASCII without spaces".into());
        }
        Ok(Self {
            scheme,
            authority: parse_authority(authority)?,
            prefix: path.trim_end_matches('/').to_owned(),
        })
    }

    /// `scheme://authority`: the origin the host's http grant must name.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }

    /// The path and query of the lookup: `{prefix}/v1/indicators/{kind}/{indicator}`,
    /// the indicator percent-encoded.
    pub fn lookup_path(&self, indicator: &Indicator) -> String {
        format!(
            "{}/v1/indicators/{}/{}",
            self.prefix,
            indicator.kind,
            percent_encode(&indicator.value)
        )
    }
}

/// Check `host[:port]` and return it with the host lower-cased.
fn parse_authority(authority: &str) -> Result<String, String> {
    if authority.contains('@') {
        return Err(
            "user names and passwords in the URL are not allowed; grant the INTEL_API_KEY secret instead"
                .into(),
        );
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (addr, after) = v6.split_once(']').ok_or("an IPv6 host lacks its `]`")?;
        addr.parse::<Ipv6Addr>()
            .map_err(|_| "the bracketed host is not an IPv6 address".to_owned())?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or("expected `:port` after the IPv6 host")?,
            ),
        };
        (&authority[..addr.len() + 2], port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("the URL has no host".into());
    }
    let host_ok = host.starts_with('[')
        || host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if !host_ok {
        return Err("the host may contain only letters, digits, '.', '-' and '_'".into());
    }
    let host = host.to_ascii_lowercase();
    match port {
        None => Ok(host),
        Some(port) => match port.parse::<u16>() {
            Ok(n) if n > 0 && port.bytes().all(|b| b.is_ascii_digit()) => Ok(format!("{host}:{n}")),
            _ => Err(format!("port `{port}` is not a number from 1 to 65535")),
        },
    }
}

/// Percent-encode everything but RFC 3986 unreserved characters, so that the
/// value is exactly one path segment.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::Kind;

    fn base(text: &str) -> ApiBase {
        ApiBase::parse(text).unwrap()
    }

    #[test]
    fn parses_base_urls() {
        let b = base("http://127.0.0.1:8787");
        assert_eq!(
            (b.scheme, b.authority.as_str(), b.prefix.as_str()),
            (Scheme::Http, "127.0.0.1:8787", "")
        );
        assert_eq!(b.origin(), "http://127.0.0.1:8787");
        let b = base(" HTTPS://Intel.Example.COM/api/v2/ ");
        assert_eq!(
            (b.scheme, b.authority.as_str(), b.prefix.as_str()),
            (Scheme::Https, "intel.example.com", "/api/v2")
        );
        assert_eq!(base("http://[::1]:8080/").authority, "[::1]:8080");
        assert_eq!(
            base("https://[2001:DB8::1]").origin(),
            "https://[2001:db8::1]"
        );
        assert_eq!(base("http://localhost/").prefix, "");
    }

    #[test]
    fn rejects_unusable_base_urls() {
        for (text, why) in [
            ("127.0.0.1:8787", "expected http(s)://"),
            ("ftp://intel.example", "scheme `ftp`"),
            ("http://", "no host"),
            ("http://:8080", "no host"),
            ("http://user:pw@intel.example", "passwords"),
            ("http://intel.example:99999", "port `99999`"),
            ("http://intel.example:0", "port `0`"),
            ("http://intel.example:+80", "port `+80`"),
            ("http://intel.example/?key=1", "query"),
            ("http://intel.example/a b", "printable"),
            ("http://intel example", "only letters"),
            ("http://[::1", "`]`"),
            ("http://[nope]", "IPv6"),
            ("http://[::1]x", "`:port`"),
        ] {
            let err = ApiBase::parse(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
        // The value itself is never echoed: it could carry a password.
        assert!(
            !ApiBase::parse("http://u:hunter2@x")
                .unwrap_err()
                .contains("hunter2")
        );
    }

    #[test]
    fn builds_lookup_paths() {
        let url = Indicator {
            value: "https://cdn-update.top/payload.bin?a=1&b=2".into(),
            kind: Kind::Url,
        };
        assert_eq!(
            base("http://127.0.0.1:8787/intel/").lookup_path(&url),
            "/intel/v1/indicators/url/https%3A%2F%2Fcdn-update.top%2Fpayload.bin%3Fa%3D1%26b%3D2"
        );
        let ip = Indicator {
            value: "2001:db8::1".into(),
            kind: Kind::Ip,
        };
        assert_eq!(
            base("http://127.0.0.1:8787").lookup_path(&ip),
            "/v1/indicators/ip/2001%3Adb8%3A%3A1"
        );
    }

    #[test]
    fn encodes_non_ascii_bytes() {
        assert_eq!(percent_encode("a~b é/"), "a~b%20%C3%A9%2F");
    }
}
