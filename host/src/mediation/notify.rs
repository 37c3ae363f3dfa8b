//! Approval notifications: when a call is held, every `[[webhooks]]` entry
//! gets a POST saying who needs to approve what, signed so that the receiver
//! can check it came from this host:
//!
//! ```text
//! X-Warrant-Timestamp: <unix seconds>
//! X-Warrant-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
//! ```
//!
//! Delivery runs in its own task — never on the call's path — and is
//! retried with backoff (after 1, 2, 4 and 8 seconds) on a network error, a
//! 5xx, 408 or 429; every failure is logged, and the last one says the
//! approvers were not told.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::config::{HostConfig, Webhook, WebhookFormat};
use crate::state::Approval;

/// Attempts per notification.
const ATTEMPTS: u32 = 5;
/// The first wait before a retry; doubled each time.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// How long one delivery may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What a notification says about a held call.
#[derive(Debug, Clone)]
pub(crate) struct Held {
    pub(crate) approval: Approval,
    pub(crate) agent_owner: String,
    pub(crate) approvers: Vec<String>,
}

/// Tell every configured webhook about `held`, in the background.
pub(crate) fn approval_requested(config: &Arc<HostConfig>, held: Held) {
    if config.webhooks.is_empty() {
        return;
    }
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        tracing::warn!(
            "approval {}: no runtime to notify approvers on",
            held.approval.id
        );
        return;
    };
    let link = config.file.api.public_url.as_ref().map(|u| {
        format!(
            "{}/console/approvals/{}",
            u.trim_end_matches('/'),
            held.approval.id
        )
    });
    let bodies: Vec<(Webhook, Vec<u8>)> = config
        .webhooks
        .iter()
        .map(|h| (h.clone(), body(h, &held, link.as_deref())))
        .collect();
    let (id, cas) = (held.approval.id.clone(), config.egress_ca_files.clone());
    // Everything else — reading the CA files, connecting, retrying —
    // happens off the call's path.
    rt.spawn(async move {
        let tls = match crate::outbound::tls_config(&cas) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!("approval {id}: approvers not notified: {e}");
                return;
            }
        };
        let deliveries = bodies.into_iter().map(|(hook, body)| {
            let (tls, id) = (Arc::clone(&tls), id.clone());
            tokio::spawn(async move { deliver(&hook, &id, body, &tls).await })
        });
        for d in deliveries.collect::<Vec<_>>() {
            let _ = d.await;
        }
    });
}

/// The message for `hook`.
pub(crate) fn body(hook: &Webhook, held: &Held, link: Option<&str>) -> Vec<u8> {
    let a = &held.approval;
    let b = &a.binding;
    let expires = chrono::DateTime::from_timestamp_millis(a.expires_at)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default();
    let value = match hook.format {
        WebhookFormat::Json => {
            let mut v = json!({
                "event": "approval.requested",
                "approval_id": a.id,
                "agent": b.agent,
                "agent_owner": held.agent_owner,
                "task": b.task,
                "tool": b.tool,
                "impact": a.impact,
                "plugin_version": b.plugin_version,
                "component_digest": b.component_digest,
                "args_digest": b.args_digest,
                "approvers": held.approvers,
                "required": a.required,
                "why": a.why,
                "expires_at": expires,
                "link": link,
            });
            if hook.include_arguments {
                v["arguments"] = Value::String(a.summary.clone());
            }
            v
        }
        WebhookFormat::Slack => {
            let mut text = format!(
                "warrant: approval needed. Agent *{}* (owner {}) asks to run *{}* for task *{}* (impact {}). Needs {} of: {}. Why: {}. Expires {}. Request {}.",
                slack(&b.agent),
                slack(&held.agent_owner),
                slack(&b.tool),
                slack(&b.task),
                slack(&a.impact),
                a.required,
                slack(&held.approvers.join(", ")),
                slack(&a.why),
                expires,
                slack(&a.id),
            );
            if hook.include_arguments {
                text.push_str(&format!(" Arguments: `{}`", slack(&a.summary)));
            }
            if let Some(l) = link {
                text.push_str(&format!(" <{}|Open the request>", slack(l)));
            }
            json!({ "text": text })
        }
    };
    serde_json::to_vec(&value).unwrap_or_default()
}

/// An error message about `hook` with its URL cut to the origin, wherever
/// the URL or its path appears.
fn redacted(why: &str, hook: &Webhook) -> String {
    let mut out = why.replace(hook.url.as_str(), &format!("{}/…", hook.origin()));
    if let Some(pq) = hook
        .url
        .parse::<http::Uri>()
        .ok()
        .and_then(|u| u.path_and_query().map(|p| p.as_str().to_owned()))
        .filter(|p| p.len() > 1)
    {
        out = out.replace(&pq, "/…");
    }
    out
}

/// Slack's mrkdwn control characters, escaped as Slack asks, so that text
/// from an agent or a plugin cannot become a link or a mention.
fn slack(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The signature header's value for `body` sent at `timestamp`.
pub(crate) fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut msg = format!("{timestamp}.").into_bytes();
    msg.extend_from_slice(body);
    format!("v1={}", hex::encode(crate::keys::hmac_sha256(secret, &msg)))
}

async fn deliver(hook: &Webhook, id: &str, body: Vec<u8>, tls: &Arc<rustls::ClientConfig>) {
    let mut wait = FIRST_BACKOFF;
    for attempt in 1..=ATTEMPTS {
        let timestamp = chrono::Utc::now().timestamp();
        let request = crate::outbound::Request {
            method: http::Method::POST,
            url: &hook.url,
            headers: vec![
                ("content-type", "application/json".to_owned()),
                (
                    "user-agent",
                    concat!("warrant/", env!("CARGO_PKG_VERSION")).to_owned(),
                ),
                ("x-warrant-event", "approval.requested".to_owned()),
                ("x-warrant-delivery", format!("{id}-{attempt}")),
                ("x-warrant-timestamp", timestamp.to_string()),
                (
                    "x-warrant-signature",
                    signature(&hook.secret, timestamp, &body),
                ),
            ],
            body: body.clone(),
            limit: 64 * 1024,
            timeout: TIMEOUT,
        };
        // Only the origin is ever logged: the rest of a webhook URL may be
        // the credential to post to the channel.
        let origin = hook.origin();
        let why = match crate::outbound::send(request, tls).await {
            Ok(a) if (200..300).contains(&a.status) => {
                tracing::info!("approval {id}: {origin} notified");
                return;
            }
            Ok(a) if (400..500).contains(&a.status) && a.status != 408 && a.status != 429 => {
                tracing::error!(
                    "approval {id}: approvers not notified: {origin} refused the notification ({}); not retried",
                    a.status
                );
                return;
            }
            Ok(a) => format!("{origin} answered {}", a.status),
            Err(e) => redacted(&e, hook),
        };
        if attempt == ATTEMPTS {
            tracing::error!(
                "approval {id}: approvers not notified after {ATTEMPTS} attempts: {why}"
            );
            return;
        }
        tracing::warn!(
            "approval {id}: notification attempt {attempt} failed ({why}); retrying in {wait:?}"
        );
        tokio::time::sleep(wait).await;
        wait *= 2;
    }
}
