//! Where a credential's value comes from: `[[plugins]] credentials = {
//! NAME = { file = "…" } }` (or `env = "VAR"`, or `oauth = { … }`), read
//! by the host, pinned by its digest in a release of the rules and never
//! archived.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::capability::Secret;
use crate::capability::credentials::oauth::{OAuthClient, TokenSource, check_token_url};

/// One credential's source, as the operator writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CredentialSource {
    /// A file holding the value (trimmed), relative to the config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// An environment variable of the host holding the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// An OAuth client whose access tokens are the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<OAuthClient>,
}

/// A source, read.
#[derive(Debug, Clone)]
pub enum Source {
    /// A value the operator supplied.
    Value(Secret),
    /// Access tokens of an OAuth client.
    OAuth(Arc<TokenSource>),
}

/// The key a release pins a credential's value under.
pub fn pin_key(manifest: &str, name: &str) -> String {
    format!("secret:credential:{manifest}:{name}")
}

/// `sha256:` of a value.
pub fn digest(value: &Secret) -> String {
    format!(
        "sha256:{}",
        crate::keys::sha256_hex(value.expose().as_bytes())
    )
}

impl CredentialSource {
    /// The value pinned for this source: the credential itself, or an
    /// OAuth client's secret.
    ///
    /// # Ambient Authority
    ///
    /// Reads the file or variable the operator names.
    ///
    /// # Errors
    ///
    /// Why it cannot be read (never the value).
    pub fn pinned_value(&self, name: &str, dir: &Path) -> Result<Secret, String> {
        let read_file = |f: &str| {
            std::fs::read_to_string(dir.join(f))
                .map(|v| Secret::new(v.trim()))
                .map_err(|e| format!("credential {name}: cannot read {f}: {e}"))
        };
        let read_env = |v: &str| {
            std::env::var(v)
                .map(|x| Secret::new(x.trim()))
                .map_err(|_| format!("credential {name}: environment variable {v} is not set"))
        };
        let value = match (&self.file, &self.env, &self.oauth) {
            (Some(f), None, None) => read_file(f)?,
            (None, Some(v), None) => read_env(v)?,
            (None, None, Some(o)) => match (&o.client_secret_file, &o.client_secret_env) {
                (Some(f), None) => read_file(f)?,
                (None, Some(v)) => read_env(v)?,
                _ => {
                    return Err(format!(
                        "credential {name}: the OAuth client needs exactly one of \
                         client-secret-file or client-secret-env"
                    ));
                }
            },
            _ => {
                return Err(format!(
                    "credential {name}: give exactly one of `file`, `env` or `oauth`"
                ));
            }
        };
        if value.expose().is_empty() {
            return Err(format!("credential {name}: the value is empty"));
        }
        Ok(value)
    }

    /// Read the source.
    ///
    /// # Ambient Authority
    ///
    /// As [`CredentialSource::pinned_value`].
    ///
    /// # Errors
    ///
    /// Why it cannot be used.
    pub fn read(&self, name: &str, dir: &Path) -> Result<(Source, Secret), String> {
        let value = self.pinned_value(name, dir)?;
        match &self.oauth {
            None => Ok((Source::Value(value.clone()), value)),
            Some(o) => {
                check_token_url(&o.token_url).map_err(|why| format!("credential {name}: {why}"))?;
                if o.client_id.trim().is_empty() {
                    return Err(format!("credential {name}: the OAuth client-id is empty"));
                }
                let source = TokenSource::new(o.clone(), value.clone());
                Ok((Source::OAuth(Arc::new(source)), value))
            }
        }
    }
}
