//! `[console]`: the operator console in the browser. Its sessions' longest
//! lifetime, and the OpenID provider operators log in at (authorization
//! code with PKCE); without one, operators log in with the one-time link of
//! `warrant console login`, signed with their own key.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::vocab::parse_duration;

/// `[console]` as written.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConsoleSection {
    /// The longest a console session lasts. Default `8h`, at most `24h`.
    pub session: Option<String>,
    /// The OpenID provider operators log in at.
    pub oidc: Option<ConsoleOidcEntry>,
}

/// `[console.oidc]` as written.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConsoleOidcEntry {
    /// The provider's issuer URL (its discovery document is read from
    /// `ISSUER/.well-known/openid-configuration`).
    pub issuer: String,
    /// This console's client id at the provider.
    pub client_id: String,
    /// A file holding the client secret (relative to the config file);
    /// without it the console is a public client (PKCE only).
    pub client_secret_file: Option<String>,
}

/// The console's settings, checked.
#[derive(Debug, Clone, Default)]
pub struct Console {
    /// The longest a session lasts.
    pub session: Duration,
    /// The OpenID provider, when operators log in there.
    pub oidc: Option<ConsoleOidc>,
}

/// The OpenID provider of the console.
#[derive(Clone)]
pub struct ConsoleOidc {
    /// The issuer.
    pub issuer: String,
    /// The client id.
    pub client_id: String,
    /// The client secret, when there is one.
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for ConsoleOidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleOidc")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Check `[console]`; `Err` names the field and why.
pub(crate) fn console(c: &ConsoleSection, dir: &Path) -> Result<Console, (String, String)> {
    let session = match &c.session {
        Some(t) => parse_duration(t).map_err(|e| ("console.session".to_owned(), e.to_string()))?,
        None => Duration::from_secs(8 * 3600),
    };
    if session > Duration::from_secs(24 * 3600) || session < Duration::from_secs(60) {
        return Err((
            "console.session".into(),
            "a console session lasts between 1m and 24h".into(),
        ));
    }
    let oidc = match &c.oidc {
        None => None,
        Some(o) => {
            let issuer = o.issuer.trim_end_matches('/').to_owned();
            let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
                .iter()
                .any(|p| issuer.starts_with(p));
            if !issuer.starts_with("https://") && !local {
                return Err((
                    "console.oidc.issuer".into(),
                    format!("{issuer:?} must be an https:// URL (http:// on loopback only)"),
                ));
            }
            if o.client_id.trim().is_empty() {
                return Err(("console.oidc.client-id".into(), "must not be empty".into()));
            }
            let client_secret = match &o.client_secret_file {
                None => None,
                Some(f) => {
                    let path = dir.join(f);
                    let text = std::fs::read_to_string(&path).map_err(|e| {
                        (
                            "console.oidc.client-secret-file".to_owned(),
                            format!("cannot read {}: {e}", path.display()),
                        )
                    })?;
                    Some(text.trim().to_owned())
                }
            };
            Some(ConsoleOidc {
                issuer,
                client_id: o.client_id.clone(),
                client_secret,
            })
        }
    };
    Ok(Console { session, oidc })
}
