//! Operator ceilings: the most any plugin may be granted on this host,
//! whatever its signed manifest asks for. A plugin whose grants exceed
//! them is refused at load, naming the grant.

use std::path::{Component, Path, PathBuf};

use crate::vocab::{HttpOrigin, Invalid};

/// What HTTP grants may name.
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
    pub(super) fn parse(text: &str) -> Result<Self, Invalid> {
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
}

/// The ceilings of one host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ceilings {
    /// Directories under which file grants may be placed (`None`: any
    /// directory but the refused ones).
    pub files: Option<Vec<PathBuf>>,
    /// What HTTP grants may name (`None`: any origin).
    pub http: Option<Vec<HttpCeiling>>,
    /// Secret names that may be granted (`None`: any).
    pub secrets: Option<Vec<String>>,
    /// Environment variable names that may be granted (`None`: any).
    pub env: Option<Vec<String>>,
    /// Never grantable, ceiling or not: the host's own state directory
    /// (no grant may contain it) ...
    pub state_dir: PathBuf,
    /// ... and what the host keeps in it or beside it — keys, the audit
    /// chain, the compiled cache — which no grant may contain or reach into.
    pub protected: Vec<PathBuf>,
}

impl Ceilings {
    /// Whether a directory grant placed at `host` is within the ceilings.
    ///
    /// # Errors
    ///
    /// Why not, in words.
    pub fn check_dir(&self, host: &Path) -> Result<(), Invalid> {
        let dir = normal(host);
        if dir.parent().is_none() {
            return Err(Invalid(format!(
                "{} is the root directory: no plugin may be granted the whole file system",
                host.display()
            )));
        }
        let state = normal(&self.state_dir);
        let reaches = |p: &Path| {
            let p = normal(p);
            dir.starts_with(&p) || p.starts_with(&dir)
        };
        if state.starts_with(&dir) || self.protected.iter().any(|p| reaches(p)) {
            return Err(Invalid(format!(
                "{} would expose the host's own state directory {} (its keys, audit chain and state)",
                host.display(),
                self.state_dir.display()
            )));
        }
        if let Some(allowed) = &self.files
            && !allowed.iter().any(|a| dir.starts_with(normal(a)))
        {
            return Err(Invalid(format!(
                "{} is not under a directory the ceiling allows ({})",
                host.display(),
                allowed
                    .iter()
                    .map(|a| a.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        Ok(())
    }

    /// Whether an HTTP grant is within the ceilings.
    ///
    /// # Errors
    ///
    /// Why not, in words.
    pub fn check_http(&self, o: &HttpOrigin) -> Result<(), Invalid> {
        match &self.http {
            Some(allowed) if !allowed.iter().any(|c| c.allows(o)) => {
                Err(Invalid(format!("{o} is not an origin the ceiling allows")))
            }
            _ => Ok(()),
        }
    }

    /// Whether a secret or environment name is within the ceilings.
    ///
    /// # Errors
    ///
    /// Why not, in words.
    pub fn check_name(&self, kind: &str, name: &str) -> Result<(), Invalid> {
        let list = if kind == "secret" {
            &self.secrets
        } else {
            &self.env
        };
        match list {
            Some(allowed) if !allowed.iter().any(|n| n == name) => Err(Invalid(format!(
                "{kind} {name} is not one the ceiling allows ({})",
                if allowed.is_empty() {
                    "none".to_owned()
                } else {
                    allowed.join(", ")
                }
            ))),
            _ => Ok(()),
        }
    }
}

/// A path made absolute (against the current directory) and with `.` and
/// `..` resolved lexically, so that `a/../..` cannot slip past a prefix.
pub fn normal(p: &Path) -> PathBuf {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    // Resolve symlinks where the path exists, so a link cannot point a
    // grant around the ceiling.
    let abs = std::fs::canonicalize(&abs).unwrap_or(abs);
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories() {
        let c = Ceilings {
            files: Some(vec!["/srv/data".into()]),
            state_dir: "/var/lib/warrant".into(),
            protected: vec!["/var/lib/warrant/keys".into()],
            ..Ceilings::default()
        };
        assert!(c.check_dir(Path::new("/srv/data/logs")).is_ok());
        assert!(c.check_dir(Path::new("/srv/data/../etc")).is_err());
        assert!(c.check_dir(Path::new("/")).unwrap_err().0.contains("root"));
        assert!(
            c.check_dir(Path::new("/var/lib"))
                .unwrap_err()
                .0
                .contains("state directory")
        );
        assert!(
            c.check_dir(Path::new("/var/lib/warrant/keys"))
                .unwrap_err()
                .0
                .contains("state directory")
        );
        let open = Ceilings {
            state_dir: "/var/lib/warrant".into(),
            protected: vec![
                "/var/lib/warrant/keys".into(),
                "/var/lib/warrant/audit".into(),
            ],
            ..Ceilings::default()
        };
        assert!(open.check_dir(Path::new("/srv/anything")).is_ok());
        assert!(
            open.check_dir(Path::new("/var/lib/warrant/cases")).is_ok(),
            "a directory of its own beside the state"
        );
        assert!(open.check_dir(Path::new("/var/lib/warrant")).is_err());
        assert!(
            open.check_dir(Path::new("/var/lib/warrant/audit/x"))
                .is_err()
        );
        assert!(open.check_dir(Path::new("/")).is_err());
    }

    #[test]
    fn origins() {
        let o = |s: &str| crate::vocab::parse_origin(s).unwrap();
        let c = Ceilings {
            http: Some(vec![
                HttpCeiling::parse("*.intel.example").unwrap(),
                HttpCeiling::parse("https://api.vendor.example").unwrap(),
                HttpCeiling::parse("127.0.0.1").unwrap(),
            ]),
            ..Ceilings::default()
        };
        assert!(c.check_http(&o("https://a.intel.example")).is_ok());
        assert!(c.check_http(&o("https://intel.example")).is_err());
        assert!(c.check_http(&o("https://api.vendor.example:443")).is_ok());
        assert!(c.check_http(&o("http://api.vendor.example")).is_err());
        assert!(c.check_http(&o("http://127.0.0.1:8788")).is_ok());
        assert!(c.check_http(&o("https://evil.example")).is_err());
        assert!(HttpCeiling::parse("*").is_err());
    }
}
