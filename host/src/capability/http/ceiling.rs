//! What HTTP grants may name on this host: `[ceilings] http`.

use crate::vocab::{HttpOrigin, Invalid};

/// One entry of the ceiling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpCeiling {
    /// Exactly this origin.
    Origin(HttpOrigin),
    /// This host name, any scheme and port.
    Host(String),
    /// Any name under this domain (`*.example.com`; not the domain itself).
    Domain(String),
}

impl HttpCeiling {
    /// Read `https://x:443`, `x.example` or `*.example.com`.
    ///
    /// # Errors
    ///
    /// Why the text is none of them.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        if text.contains("://") {
            return crate::vocab::parse_origin(text).map(Self::Origin);
        }
        let t = text.trim().trim_end_matches('.').to_ascii_lowercase();
        if let Some(d) = t.strip_prefix("*.") {
            if d.is_empty() || d.contains('*') {
                return Err(Invalid(format!(
                    "{text:?}: a domain is written *.example.com"
                )));
            }
            return Ok(Self::Domain(d.to_owned()));
        }
        if t.is_empty() || t.contains(['*', '/', ':']) && t.parse::<std::net::IpAddr>().is_err() {
            return Err(Invalid(format!(
                "{text:?} must be an origin (https://host:port), a host name or *.domain"
            )));
        }
        Ok(Self::Host(t))
    }

    fn allows(&self, o: &HttpOrigin) -> bool {
        match self {
            Self::Origin(c) => c == o,
            Self::Host(h) => *h == o.host,
            Self::Domain(d) => o.host.ends_with(&format!(".{d}")),
        }
    }

    /// Whether an origin is within the ceiling (`None`: any origin).
    ///
    /// # Errors
    ///
    /// Why not, in words.
    pub fn check(ceiling: Option<&[HttpCeiling]>, o: &HttpOrigin) -> Result<(), Invalid> {
        match ceiling {
            Some(allowed) if !allowed.iter().any(|c| c.allows(o)) => {
                Err(Invalid(format!("{o} is not an origin the ceiling allows")))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let o = |s: &str| crate::vocab::parse_origin(s).unwrap();
        let c = [
            HttpCeiling::parse("*.intel.example").unwrap(),
            HttpCeiling::parse("https://api.vendor.example").unwrap(),
            HttpCeiling::parse("127.0.0.1").unwrap(),
        ];
        let check = |s: &str| HttpCeiling::check(Some(&c), &o(s));
        assert!(check("https://a.intel.example").is_ok());
        assert!(check("https://intel.example").is_err());
        assert!(check("https://api.vendor.example:443").is_ok());
        assert!(check("http://api.vendor.example").is_err());
        assert!(check("http://127.0.0.1:8788").is_ok());
        assert!(check("https://evil.example").is_err());
        assert!(HttpCeiling::parse("*").is_err());
        assert!(HttpCeiling::check(None, &o("https://any.example")).is_ok());
    }
}
