//! Where a credential may go: its binding, as the manifest writes it and
//! as the host matches every request against it — scheme, host and port
//! exactly, the method, and the path against the binding's globs.

use serde::{Deserialize, Serialize};

use crate::capability::{FieldError, valid_var_name};
use crate::vocab::{HttpOrigin, parse_origin};

/// `credentials = [{ name, origin, header, scheme, methods, paths }]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CredentialSpec {
    /// The credential's name; the operator supplies its value.
    pub name: String,
    /// The one origin it is sent to, `scheme://host[:port]`.
    pub origin: String,
    /// The request header it goes in, e.g. `Authorization`.
    pub header: String,
    /// A scheme written before the value, e.g. `Bearer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// The methods it is sent with, e.g. `["GET"]`.
    pub methods: Vec<String>,
    /// The paths it is sent to: `*` stands for any characters within one
    /// segment, a final `/**` for any path below.
    pub paths: Vec<String>,
}

/// A binding, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The credential's name.
    pub name: String,
    /// Its origin.
    pub origin: HttpOrigin,
    /// The header, lower-case.
    pub header: http::HeaderName,
    /// The scheme before the value.
    pub scheme: Option<String>,
    /// The methods.
    pub methods: Vec<String>,
    /// The path globs.
    pub paths: Vec<String>,
}

/// Methods a binding may name.
const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// Headers a credential may not be put in: they frame the request.
const FRAMING: &[&str] = &[
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
];

impl Binding {
    /// Check one manifest entry (the `i`th).
    ///
    /// # Errors
    ///
    /// The field at fault (`[0].origin`) and why.
    pub fn check(i: usize, spec: &CredentialSpec) -> Result<Self, FieldError> {
        let err = |f: &str, why: String| FieldError::new(format!("[{i}].{f}"), why);
        if !valid_var_name(&spec.name) {
            return Err(err(
                "name",
                format!(
                    "{:?} must be 1-64 of A-Z, 0-9 and '_', not starting with a digit",
                    spec.name
                ),
            ));
        }
        let origin = parse_origin(&spec.origin).map_err(|why| err("origin", why.0))?;
        let header = http::HeaderName::from_bytes(spec.header.as_bytes())
            .map_err(|_| err("header", format!("{:?} is not a header name", spec.header)))?;
        if FRAMING.contains(&header.as_str()) {
            return Err(err(
                "header",
                format!("{header} frames the request and cannot carry a credential"),
            ));
        }
        if let Some(s) = &spec.scheme
            && (!(1..=32).contains(&s.len()) || !s.bytes().all(is_token))
        {
            return Err(err(
                "scheme",
                "must be 1-32 characters of a token, e.g. Bearer".into(),
            ));
        }
        if spec.methods.is_empty() {
            return Err(err("methods", "must name at least one method".into()));
        }
        for (j, m) in spec.methods.iter().enumerate() {
            if !METHODS.contains(&m.as_str()) {
                return Err(err(
                    &format!("methods[{j}]"),
                    format!("{m:?} is not one of {}", METHODS.join(", ")),
                ));
            }
            if spec.methods[..j].contains(m) {
                return Err(err(&format!("methods[{j}]"), format!("{m} is listed twice")));
            }
        }
        if spec.paths.is_empty() {
            return Err(err("paths", "must name at least one path".into()));
        }
        for (j, p) in spec.paths.iter().enumerate() {
            check_glob(p).map_err(|why| err(&format!("paths[{j}]"), why))?;
        }
        Ok(Self {
            name: spec.name.clone(),
            origin,
            header,
            scheme: spec.scheme.clone(),
            methods: spec.methods.clone(),
            paths: spec.paths.clone(),
        })
    }

    /// Whether a request to `target` with `method` and `path` (without
    /// query) gets this credential: `None` for another origin (not this
    /// binding's business), `Some(Err)` naming what does not match.
    pub fn decide(&self, target: &HttpOrigin, method: &str, path: &str) -> Option<Result<(), String>> {
        if *target != self.origin {
            return None;
        }
        if !self.methods.iter().any(|m| m == method) {
            return Some(Err(format!(
                "the method {method} is not one the binding names ({})",
                self.methods.join(", ")
            )));
        }
        if !plain_path(path) {
            return Some(Err(format!(
                "the path {path} is not in plain form (a '.' or '..' segment, plain or encoded)"
            )));
        }
        if !self.paths.iter().any(|g| glob_matches(g, path)) {
            return Some(Err(format!(
                "the path {path} is not one the binding names ({})",
                self.paths.join(", ")
            )));
        }
        Some(Ok(()))
    }
}

fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn check_glob(p: &str) -> Result<(), String> {
    if !p.starts_with('/') {
        return Err(format!("{p:?} must start with '/'"));
    }
    if p.contains(['?', '#']) || !p.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "{p:?} must be a path only: printable ASCII, no query or fragment"
        ));
    }
    let body = p.strip_suffix("/**").unwrap_or(p);
    for seg in body.split('/').skip(1) {
        if seg == "." || seg == ".." || seg.contains("**") {
            return Err(format!(
                "{p:?}: segments may not be '.' or '..', and '**' only ends a path as /**"
            ));
        }
    }
    if !plain_path(&body.replace('*', "x")) {
        return Err(format!("{p:?} must not hide a '.' or '..' segment in an encoding"));
    }
    Ok(())
}

/// A path no server can read as another: no `.` or `..` segment, even
/// once an encoded `/`, `.` or `\` (or a bare `\`) is decoded — so
/// `a%2F..%2Fadmin` is refused, while `https%3A%2F%2Fx.example` (a URL as
/// one segment) is plain.
fn plain_path(path: &str) -> bool {
    let decoded = path
        .to_ascii_lowercase()
        .replace("%2f", "/")
        .replace("%2e", ".")
        .replace("%5c", "/")
        .replace('\\', "/");
    decoded.split('/').skip(1).all(|s| s != "." && s != "..")
}

/// Whether `path` matches `glob`: `*` is any run of characters but '/', a
/// final `/**` any path below (and the path itself).
fn glob_matches(glob: &str, path: &str) -> bool {
    if let Some(base) = glob.strip_suffix("/**") {
        return segments_match(base, path)
            || (1..path.len()).any(|k| {
                path.is_char_boundary(k)
                    && path[k..].starts_with('/')
                    && segments_match(base, &path[..k])
            });
    }
    segments_match(glob, path)
}

fn segments_match(glob: &str, path: &str) -> bool {
    let (g, p): (Vec<&str>, Vec<&str>) = (glob.split('/').collect(), path.split('/').collect());
    g.len() == p.len() && g.iter().zip(&p).all(|(g, p)| segment_matches(g, p))
}

fn segment_matches(glob: &str, seg: &str) -> bool {
    match glob.split_once('*') {
        None => glob == seg,
        Some((head, rest)) => {
            let Some(after) = seg.strip_prefix(head) else {
                return false;
            };
            (0..=after.len())
                .filter(|&k| after.is_char_boundary(k))
                .any(|k| segment_matches(rest, &after[k..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(paths: &[&str]) -> Binding {
        Binding::check(
            0,
            &CredentialSpec {
                name: "INTEL_API".into(),
                origin: "https://intel.example".into(),
                header: "Authorization".into(),
                scheme: Some("Bearer".into()),
                methods: vec!["GET".into()],
                paths: paths.iter().map(|p| (*p).to_owned()).collect(),
            },
        )
        .unwrap()
    }

    #[test]
    fn requests_match_exactly() {
        let b = binding(&["/v1/indicators/*"]);
        let o = |s: &str| parse_origin(s).unwrap();
        let ok = o("https://intel.example:443");
        assert_eq!(b.decide(&ok, "GET", "/v1/indicators/ip"), Some(Ok(())));
        assert!(b.decide(&o("https://intel.example:8443"), "GET", "/v1/indicators/ip").is_none());
        assert!(b.decide(&o("http://intel.example"), "GET", "/v1/indicators/ip").is_none());
        assert!(b.decide(&o("https://evil.example"), "GET", "/v1/indicators/ip").is_none());
        for (m, p) in [
            ("POST", "/v1/indicators/ip"),
            ("GET", "/v1/indicators/ip/203.0.113.7"),
            ("GET", "/v1/indicators"),
            ("GET", "/v2/indicators/ip"),
            ("GET", "/v1/indicators/.."),
            ("GET", "/v1/indicators/%2e%2e"),
            ("GET", "/v1/indicators/..%2Fadmin"),
            ("GET", "/v1/indicators/x%5C..%5Cadmin"),
        ] {
            assert!(matches!(b.decide(&ok, m, p), Some(Err(_))), "{m} {p}");
        }
        assert_eq!(
            b.decide(&ok, "GET", "/v1/indicators/https%3A%2F%2Fx.example%2Fa"),
            Some(Ok(())),
            "a URL as one encoded segment"
        );
        let deep = binding(&["/v1/**"]);
        assert_eq!(deep.decide(&ok, "GET", "/v1/indicators/ip/1.2.3.4"), Some(Ok(())));
        assert_eq!(deep.decide(&ok, "GET", "/v1"), Some(Ok(())));
        assert!(matches!(deep.decide(&ok, "GET", "/v10/x"), Some(Err(_))));
        let mid = binding(&["/v1/*/lookup"]);
        assert_eq!(mid.decide(&ok, "GET", "/v1/ip/lookup"), Some(Ok(())));
        assert!(matches!(mid.decide(&ok, "GET", "/v1/ip/x/lookup"), Some(Err(_))));
    }

    #[test]
    fn bindings_are_checked() {
        let spec = |f: &dyn Fn(&mut CredentialSpec)| {
            let mut s = CredentialSpec {
                name: "INTEL_API".into(),
                origin: "https://intel.example".into(),
                header: "Authorization".into(),
                scheme: None,
                methods: vec!["GET".into()],
                paths: vec!["/v1/*".into()],
            };
            f(&mut s);
            Binding::check(0, &s).map(|_| ()).map_err(|e| e.field)
        };
        assert_eq!(spec(&|_| {}), Ok(()));
        assert_eq!(spec(&|s| s.name = "intel".into()), Err("[0].name".into()));
        assert_eq!(spec(&|s| s.origin = "https://x/y".into()), Err("[0].origin".into()));
        assert_eq!(spec(&|s| s.header = "Host".into()), Err("[0].header".into()));
        assert_eq!(spec(&|s| s.methods = vec![]), Err("[0].methods".into()));
        assert_eq!(spec(&|s| s.methods = vec!["get".into()]), Err("[0].methods[0]".into()));
        assert_eq!(spec(&|s| s.paths = vec!["v1".into()]), Err("[0].paths[0]".into()));
        assert_eq!(spec(&|s| s.paths = vec!["/a/../b".into()]), Err("[0].paths[0]".into()));
        assert_eq!(spec(&|s| s.paths = vec!["/a?x=1".into()]), Err("[0].paths[0]".into()));
        assert_eq!(spec(&|s| s.scheme = Some("Bear er".into())), Err("[0].scheme".into()));
    }
}
