//! Credentials a plugin never holds: the host adds the organisation's
//! credential to exactly the requests its binding names, and the plugin
//! never sees the value.
//!
//! - manifest: `credentials = [{ name = "INTEL_API", origin =
//!   "https://intel.example", header = "Authorization", scheme = "Bearer",
//!   methods = ["GET"], paths = ["/v1/indicators/*"] }]`; the origin must
//!   be one `http` grants, the name may not also be a secret's;
//! - operator: `[ceilings] credentials` (names), `[[plugins]] credentials
//!   = { INTEL_API = { file = "…" } }` (or `env`, or an OAuth client whose
//!   client-credentials tokens the host fetches and refreshes); a value is
//!   pinned by its digest in a release of the rules, never archived;
//! - sandbox: nothing is linked; the HTTP gate adds the header to a request
//!   whose scheme, host, port, method and path match the binding,
//!   replacing a header of that name the plugin set (`host.secret` refuses
//!   a credential's name); every value is watched, so an echo is scrubbed
//!   and an output holding one is blocked;
//! - uses: each request to the credential's origin, added or not and why.

mod binding;
mod oauth;
mod source;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use binding::{Binding, CredentialSpec};
pub use oauth::{ClientAuth, OAuthClient, TokenSource};
pub use source::{CredentialSource, Source, digest, pin_key};

use crate::capability::{
    Capability, FieldError, GrantError, Grants, Resolve, Secret, Watch, check_name_ceiling,
    names_ceiling,
};
use crate::vocab::{HttpOrigin, safe};

/// One credential as the sandbox holds it: its binding and, when the
/// operator supplied it, where its value comes from.
#[derive(Debug, Clone)]
pub struct Credential {
    /// Where it may go.
    pub binding: Binding,
    /// Its value (none in a review or a `warrant dev` without one).
    pub source: Option<Source>,
}

impl Credential {
    /// The value to send now.
    ///
    /// # Errors
    ///
    /// Why there is none (never the value).
    pub async fn value(&self, tls: &Arc<rustls::ClientConfig>) -> Result<Secret, String> {
        match &self.source {
            Some(Source::Value(v)) => Ok(v.clone()),
            Some(Source::OAuth(t)) => t.token(tls).await,
            None => Err("no value is supplied for it".into()),
        }
    }

    /// The header value for `value`: the scheme, a space, the value.
    pub fn header_value(&self, value: &Secret) -> Option<http::HeaderValue> {
        let text = match &self.binding.scheme {
            Some(s) => format!("{s} {}", value.expose()),
            None => value.expose().to_owned(),
        };
        let mut v = http::HeaderValue::from_str(&text).ok()?;
        v.set_sensitive(true);
        Some(v)
    }
}

/// One request to a credential's origin, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialUse {
    /// The credential's name.
    pub name: String,
    /// Request method.
    pub method: String,
    /// `scheme://host:port`.
    pub origin: String,
    /// The path (cut at 512 characters).
    pub path: String,
    /// Whether the host added it.
    pub added: bool,
    /// Why it was not added, when it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// The credentials capability.
#[derive(Debug)]
pub struct Credentials;

impl Capability for Credentials {
    const NAME: &'static str = "credentials";
    const GRANT_DOC: &'static str = "Credentials the host adds to the plugin's HTTP requests that match their binding exactly (origin, methods, paths); the plugin never sees their values.";
    const CEILING_DOC: &'static str = "Credential names that may be granted.";
    const SUPPLY_DOC: &'static str = "Where each granted credential's value comes from, by name: a file, an environment variable, or an OAuth client whose client-credentials tokens the host fetches and refreshes.";
    type Grant = Vec<CredentialSpec>;
    type Terms = Vec<Binding>;

    fn check(grant: &Vec<CredentialSpec>, all: &Grants) -> Result<Vec<Binding>, FieldError> {
        let mut names = BTreeSet::new();
        let mut places = BTreeSet::new();
        let http: Vec<HttpOrigin> = all
            .http
            .iter()
            .filter_map(|o| crate::vocab::parse_origin(o).ok())
            .collect();
        let mut out = Vec::new();
        for (i, spec) in grant.iter().enumerate() {
            let b = Binding::check(i, spec)?;
            if !names.insert(b.name.clone()) {
                return Err(FieldError::new(
                    format!("[{i}].name"),
                    format!("{} is listed twice", b.name),
                ));
            }
            if all.secrets.contains(&b.name) {
                return Err(FieldError::new(
                    format!("[{i}].name"),
                    format!(
                        "{} is also granted as a secret; a credential is never read by the plugin",
                        b.name
                    ),
                ));
            }
            if !http.contains(&b.origin) {
                return Err(FieldError::new(
                    format!("[{i}].origin"),
                    format!(
                        "{} is not one of grants.http: a credential goes only where the plugin may send requests",
                        b.origin
                    ),
                ));
            }
            if !places.insert((b.origin.to_string(), b.header.to_string())) {
                return Err(FieldError::new(
                    format!("[{i}].header"),
                    format!("another credential already goes in {} to {}", b.header, b.origin),
                ));
            }
            out.push(b);
        }
        Ok(out)
    }

    fn is_empty(grant: &Vec<CredentialSpec>) -> bool {
        grant.is_empty()
    }

    fn review(grant: &Vec<CredentialSpec>, _: &Vec<Binding>, out: &mut Vec<String>) {
        for c in grant {
            let origin = c.origin.trim_end_matches('/');
            let places: Vec<String> = c
                .paths
                .iter()
                .map(|p| format!("{}{}", safe(origin), safe(p)))
                .collect();
            out.push(format!(
                "may call {} {} with the organisation's {} credential, without seeing it (the host adds it as the {} header{}; the plugin cannot read it)",
                safe(&c.methods.join("/")),
                places.join(" or "),
                safe(&c.name),
                safe(&c.header),
                c.scheme
                    .as_deref()
                    .map(|s| format!(", scheme {}", safe(s)))
                    .unwrap_or_default()
            ));
        }
    }

    const CEILING: bool = true;
    type Ceiling = Option<Vec<String>>;

    fn ceiling(written: Option<&[String]>, _: &Path) -> Result<Self::Ceiling, String> {
        names_ceiling(written)
    }

    const SUPPLY: Option<&'static str> = Some("credentials");
    type Supply = BTreeMap<String, CredentialSource>;

    fn supply_is_empty(supply: &Self::Supply) -> bool {
        supply.is_empty()
    }

    fn pins(supply: &Self::Supply, manifest: &str, dir: &Path) -> Vec<(String, String)> {
        supply
            .iter()
            .filter_map(|(name, s)| {
                let v = s.pinned_value(name, dir).ok()?;
                Some((pin_key(manifest, name), digest(&v)))
            })
            .collect()
    }

    type Granted = Vec<Credential>;

    fn resolve(r: Resolve<'_, Self>) -> Result<Vec<Credential>, GrantError> {
        let cfg = GrantError::Config;
        for (i, b) in r.terms.iter().enumerate() {
            check_name_ceiling("credential", &b.name, r.ceiling.as_ref()).map_err(|why| {
                GrantError::Ceiling {
                    grant: format!("grants.credentials[{i}] ({})", b.name),
                    why,
                }
            })?;
        }
        for name in r.supply.keys() {
            if !r.terms.iter().any(|b| &b.name == name) {
                return Err(cfg(format!(
                    "credentials supplies {name}, which the manifest does not grant"
                )));
            }
        }
        let mut out = Vec::new();
        for b in r.terms {
            let source = r.supply.get(&b.name).ok_or_else(|| {
                cfg(format!("the manifest grants credential {} but the config supplies no value for it (add it under this plugin's `credentials`)", b.name))
            })?;
            let (source, pinned) = source.read(&b.name, r.at.dir).map_err(cfg)?;
            if let Some(pins) = r.at.pins {
                match pins.get(&pin_key(r.at.manifest, &b.name)) {
                    Some(d) if *d == digest(&pinned) => {}
                    Some(_) => {
                        return Err(cfg(format!(
                            "the value of credential {} is not the one the release of the rules in force pins: a changed credential needs a new release",
                            b.name
                        )));
                    }
                    None => {
                        return Err(cfg(format!(
                            "the release of the rules in force pins no value for credential {}: a credential's value is part of the rules (review with `warrant config diff`, then sign and apply)",
                            b.name
                        )));
                    }
                }
            }
            out.push(Credential {
                binding: b.clone(),
                source: Some(source),
            });
        }
        Ok(out)
    }

    fn requested(_: &Vec<CredentialSpec>, terms: &Vec<Binding>, _: &Path) -> Vec<Credential> {
        terms
            .iter()
            .map(|b| Credential {
                binding: b.clone(),
                source: None,
            })
            .collect()
    }

    fn linked(_: &Vec<Credential>) -> bool {
        false
    }

    fn describe_import(_: &str, _: Option<&Vec<Credential>>) -> String {
        String::new()
    }

    fn watch(granted: &Vec<Credential>, w: &mut Watch) {
        for c in granted {
            match &c.source {
                Some(Source::Value(v)) => w.fixed(&c.binding.name, v),
                Some(Source::OAuth(t)) => w.issued(&c.binding.name, Arc::clone(t) as _),
                None => {}
            }
        }
    }

    type Use = CredentialUse;
    const USE_KIND: &'static str = "credential";

    fn show(u: &CredentialUse) -> String {
        let at = format!("{} {}{}", u.method, u.origin, u.path);
        match (&u.why, u.added) {
            (_, true) => format!("credential {} added to {at} (its value unseen by the plugin)", u.name),
            (Some(why), false) => format!("credential {} NOT added to {at}: {why}", u.name),
            (None, false) => format!("credential {} NOT added to {at}", u.name),
        }
    }

    fn matches(u: &CredentialUse, what: &str, allowed: bool) -> bool {
        u.added == allowed && (what.is_empty() || u.name == what)
    }
}

/// The credential uses of one request to `target`: whether each credential
/// bound to its origin applies.
pub fn applying<'c>(
    credentials: &'c [Credential],
    target: &HttpOrigin,
    method: &str,
    path: &str,
) -> Vec<(&'c Credential, Result<(), String>)> {
    credentials
        .iter()
        .filter_map(|c| c.binding.decide(target, method, path).map(|d| (c, d)))
        .collect()
}

/// Why `name` is refused to `host.secret`, when it is a credential's.
pub fn refuse_read(credentials: &[Credential], name: &str) -> Option<String> {
    credentials.iter().find(|c| c.binding.name == name).map(|c| {
        format!(
            "`{name}` is a credential: the host adds it to this plugin's requests to {}; no plugin ever reads its value",
            c.binding.origin
        )
    })
}
