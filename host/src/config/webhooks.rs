//! `[[webhooks]]`: where the host tells approvers that a call is held. Each
//! is a URL that receives a POST, signed with a shared secret so that the
//! receiver can tell it came from this host, in warrant's JSON or in a
//! Slack-compatible body. The call arguments stay out of the message
//! unless the operator asks for them: the receiver may be a third party.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One `[[webhooks]]` entry as written.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WebhookEntry {
    /// Where to POST: `https://…`, or `http://` on loopback only.
    pub url: String,
    /// A file holding the signing secret (at least 32 characters; relative
    /// to the config file unless absolute).
    pub secret_file: String,
    /// `json` (default) or `slack` (a body with `text`, for Slack-compatible
    /// incoming webhooks).
    pub format: Option<String>,
    /// Put the held call's arguments (their summary, at most 2 KiB) into the
    /// message. Off by default.
    #[serde(default)]
    pub include_arguments: bool,
}

/// The body a webhook receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    /// warrant's own JSON.
    Json,
    /// `{"text": …}`, for Slack-compatible receivers.
    Slack,
}

/// A webhook, checked.
#[derive(Clone)]
pub struct Webhook {
    /// Where to POST.
    pub url: String,
    /// The HMAC-SHA256 key of the `X-Warrant-Signature` header.
    pub secret: Vec<u8>,
    /// The secret's file (for messages).
    pub secret_file: PathBuf,
    /// The body's format.
    pub format: WebhookFormat,
    /// Whether the arguments go into the message.
    pub include_arguments: bool,
}

impl Webhook {
    /// Where it posts, for messages: the origin only — the path of a
    /// Slack-style webhook URL is itself the credential to post there.
    pub fn origin(&self) -> String {
        crate::vocab::url_origin(&self.url)
    }
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.origin())
            .field("secret_file", &self.secret_file)
            .field("format", &self.format)
            .field("include_arguments", &self.include_arguments)
            .finish_non_exhaustive()
    }
}

/// Check the entries; the error names the field.
pub(crate) fn webhooks(
    entries: &[WebhookEntry],
    dir: &Path,
) -> Result<Vec<Webhook>, (String, String)> {
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let field = |f: &str| format!("webhooks[{i}].{f}");
        let uri: http::Uri = e.url.parse().map_err(|err| {
            (
                field("url"),
                format!("{}…: {err}", crate::vocab::url_origin(&e.url)),
            )
        })?;
        let host = uri.host().unwrap_or_default();
        let loopback = host == "localhost"
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        match uri.scheme_str() {
            Some("https") if !host.is_empty() => {}
            Some("http") if loopback => {}
            _ => {
                return Err((
                    field("url"),
                    format!(
                        "{}…: use an https:// URL (http:// only on loopback): the message says who needs to approve what",
                        crate::vocab::url_origin(&e.url)
                    ),
                ));
            }
        }
        let path = dir.join(&e.secret_file);
        // A file the operator's config names: ambient authority.
        let secret = std::fs::read_to_string(&path)
            .map_err(|err| (field("secret-file"), format!("{}: {err}", path.display())))?
            .trim()
            .as_bytes()
            .to_vec();
        if secret.len() < 32 {
            return Err((
                field("secret-file"),
                format!(
                    "{}: the secret must be at least 32 characters (e.g. `openssl rand -hex 32`)",
                    path.display()
                ),
            ));
        }
        let format = match e.format.as_deref() {
            None | Some("json") => WebhookFormat::Json,
            Some("slack") => WebhookFormat::Slack,
            Some(other) => {
                return Err((
                    field("format"),
                    format!("{other:?}: use \"json\" or \"slack\""),
                ));
            }
        };
        out.push(Webhook {
            url: e.url.clone(),
            secret,
            secret_file: path,
            format,
            include_arguments: e.include_arguments,
        });
    }
    Ok(out)
}
