//! Identity issuers an agent's credentials may come from: a workload
//! identity platform (Kubernetes, SPIFFE, a CI system, a cloud) whose JWTs
//! an agent exchanges for a task token, or the organisation's OAuth
//! authorization server whose JWT access tokens (RFC 9068) are accepted as
//! they are. Checked once into typed [`Issuer`]s; which workload is which
//! agent is on the agent (`workload = [...]`).

use std::path::PathBuf;

use crate::config::sources::Place;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::vocab::parse_duration;

/// `[[issuers]]`: one identity provider this host believes for agents.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct IssuerEntry {
    /// A local name (agents' `workload` entries and the audit chain use it).
    pub id: String,
    /// The `iss` its tokens carry, exactly.
    pub issuer: String,
    /// Accepted `aud` values; a token must name one.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Signature algorithms accepted (default `RS256`, `ES256`, `EdDSA`).
    /// Asymmetric only: never `none`, never an HMAC algorithm.
    #[serde(default)]
    pub algorithms: Vec<String>,
    /// Where its signing keys are published (a JWKS URL; `https://` unless
    /// on loopback).
    pub jwks_url: Option<String>,
    /// Or a JWKS file.
    pub jwks_file: Option<String>,
    /// The longest lifetime (`exp` − `iat`) accepted. Default `1h`.
    pub max_lifetime: Option<String>,
    /// The shortest time between two fetches of the JWKS when a token names
    /// an unknown key. Default `30s`.
    pub jwks_refresh: Option<String>,
    /// Accept its JWT access tokens (RFC 9068, `typ: at+jwt`) as bearer
    /// credentials, like task tokens. Their audience must be `[api]
    /// resource`.
    #[serde(default)]
    pub access_tokens: bool,
    /// The claim of an access token that names the task. Default
    /// `warrant_task`.
    pub task_claim: Option<String>,
}

/// One workload identity of an agent: `{ issuer = "ID", subject = "…" }`
/// or `{ issuer = "ID", client-id = "…" }`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WorkloadEntry {
    /// The issuer's local id.
    pub issuer: String,
    /// The `sub` claim.
    pub subject: Option<String>,
    /// Or the `client_id` (or `azp`) claim.
    pub client_id: Option<String>,
}

/// Where an issuer's keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    /// Fetched from a URL, cached, refetched on an unknown key id.
    Url(String),
    /// Read from a file (re-read on an unknown key id).
    File(PathBuf),
}

impl std::fmt::Display for JwksSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Url(u) => f.write_str(u),
            Self::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// One issuer, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// Local id.
    pub id: String,
    /// The exact `iss`.
    pub issuer: String,
    /// Accepted audiences.
    pub audiences: Vec<String>,
    /// Accepted algorithms (JOSE names).
    pub algorithms: Vec<String>,
    /// Its keys.
    pub jwks: JwksSource,
    /// Longest lifetime accepted.
    pub max_lifetime: Duration,
    /// Shortest time between refetches.
    pub jwks_refresh: Duration,
    /// Whether its access tokens are accepted as bearer credentials.
    pub access_tokens: bool,
    /// The task claim of its access tokens.
    pub task_claim: String,
}

/// The asymmetric JOSE algorithms warrant verifies.
pub const ALGORITHMS: [&str; 9] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];

/// Check one issuer; the error names the field.
pub(super) fn issuer(e: &IssuerEntry, at: &Place<'_>) -> Result<Issuer, (String, String)> {
    let bad = |f: &str, why: String| Err((f.to_owned(), why));
    if !crate::config::valid_id(&e.id) {
        return bad(
            "id",
            format!(
                "{:?} must be 1-64 of letters, digits, '.', '_', ':' or '-'",
                e.id
            ),
        );
    }
    if e.issuer.trim().is_empty() {
        return bad("issuer", "must name the exact `iss` of its tokens".into());
    }
    if e.audiences.is_empty() || e.audiences.iter().any(|a| a.trim().is_empty()) {
        return bad(
            "audiences",
            "name the audience(s) its tokens must carry for this host: a token for any audience would be a token for every service".into(),
        );
    }
    let algorithms = if e.algorithms.is_empty() {
        vec!["RS256".into(), "ES256".into(), "EdDSA".into()]
    } else {
        e.algorithms.clone()
    };
    for a in &algorithms {
        if !ALGORITHMS.contains(&a.as_str()) {
            return bad(
                "algorithms",
                format!(
                    "{a:?} is not accepted: only asymmetric algorithms ({}) — never `none`, never HMAC",
                    ALGORITHMS.join(", ")
                ),
            );
        }
    }
    let jwks = match (&e.jwks_url, &e.jwks_file) {
        (Some(u), None) => {
            let loopback = ["http://127.0.0.1", "http://[::1]", "http://localhost"]
                .iter()
                .any(|p| u.strip_prefix(p).is_some_and(|r| r.starts_with([':', '/'])));
            if !u.starts_with("https://") && !loopback {
                return bad(
                    "jwks-url",
                    format!(
                        "{u:?} must be https:// (plain http only on loopback): keys fetched in the clear can be replaced"
                    ),
                );
            }
            JwksSource::Url(u.clone())
        }
        (None, Some(f)) => {
            JwksSource::File(at.locate(f).map_err(|why| ("jwks-file".to_owned(), why))?)
        }
        _ => {
            return bad(
                "jwks-url",
                "give exactly one of jwks-url or jwks-file".into(),
            );
        }
    };
    let duration = |v: &Option<String>, f: &str, default: u64| match v {
        Some(t) => parse_duration(t).map_err(|err| (f.to_owned(), err.to_string())),
        None => Ok(Duration::from_secs(default)),
    };
    Ok(Issuer {
        id: e.id.clone(),
        issuer: e.issuer.clone(),
        audiences: e.audiences.clone(),
        algorithms,
        jwks,
        max_lifetime: duration(&e.max_lifetime, "max-lifetime", 3600)?,
        jwks_refresh: duration(&e.jwks_refresh, "jwks-refresh", 30)?,
        access_tokens: e.access_tokens,
        task_claim: e
            .task_claim
            .clone()
            .unwrap_or_else(|| "warrant_task".into()),
    })
}

/// Check an agent's workload identities against the issuers.
/// Whether two workload entries can match one credential: the same issuer,
/// and the same value whether as a subject or a client id (a
/// client-credentials token carries its client id as its subject too).
pub(super) fn overlap(a: &WorkloadEntry, b: &WorkloadEntry) -> bool {
    let value = |w: &WorkloadEntry| w.subject.clone().or_else(|| w.client_id.clone());
    a.issuer == b.issuer && value(a).is_some() && value(a) == value(b)
}

pub(super) fn workloads(w: &[WorkloadEntry], issuers: &[Issuer]) -> Result<(), String> {
    for e in w {
        if !issuers.iter().any(|i| i.id == e.issuer) {
            return Err(format!("no [[issuers]] entry has the id {:?}", e.issuer));
        }
        if e.subject.is_some() == e.client_id.is_some() {
            return Err(format!(
                "the workload of issuer {} needs exactly one of subject or client-id",
                e.issuer
            ));
        }
    }
    Ok(())
}

/// Every `[[issuers]]` entry of `file`, checked; the error names the field.
pub(super) fn issuers(
    file: &crate::config::ConfigFile,
    at: &Place<'_>,
) -> Result<Vec<Issuer>, (String, String)> {
    let mut out: Vec<Issuer> = Vec::new();
    for (i, e) in file.issuers.iter().enumerate() {
        let x = issuer(e, at).map_err(|(f, why)| (format!("issuers[{i}].{f}"), why))?;
        if out.iter().any(|o| o.id == x.id) {
            return Err((
                format!("issuers[{i}].id"),
                format!("issuer {} is defined twice", x.id),
            ));
        }
        if x.access_tokens && file.api.resource.is_none() {
            return Err((
                format!("issuers[{i}].access-tokens"),
                "accepting access tokens needs [api] resource: the audience they must be for"
                    .into(),
            ));
        }
        out.push(x);
    }
    Ok(out)
}

impl crate::config::HostConfig {
    /// An issuer by local id.
    pub fn issuer(&self, id: &str) -> Option<&Issuer> {
        self.issuers.iter().find(|i| i.id == id)
    }

    /// The agent a workload identity is: matched on issuer id and `sub`,
    /// or `client_id` (`azp`). A workload is exactly one agent: a
    /// credential that matches two (one agent's subject, another's client
    /// id) is refused as ambiguous, never mapped to the first.
    ///
    /// # Errors
    ///
    /// Why the credential is ambiguous, naming the agents it matches.
    pub fn agent_for_workload(
        &self,
        issuer: &str,
        subject: Option<&str>,
        client_id: Option<&str>,
    ) -> Result<Option<&crate::config::Agent>, String> {
        let matches: Vec<(&str, &str)> = self
            .file
            .agents
            .iter()
            .filter_map(|a| {
                a.workload.iter().find_map(|w| {
                    if w.issuer != issuer {
                        None
                    } else if w.subject.is_some() && w.subject.as_deref() == subject {
                        Some((a.id.as_str(), "by subject"))
                    } else if w.client_id.is_some() && w.client_id.as_deref() == client_id {
                        Some((a.id.as_str(), "by client id"))
                    } else {
                        None
                    }
                })
            })
            .collect();
        match matches.as_slice() {
            [] => Ok(None),
            [(id, _)] => Ok(self.agent(id)),
            many => Err(format!(
                "the credential is ambiguous: it matches agents {}; a workload must be exactly one agent",
                many.iter()
                    .map(|(id, how)| format!("{id} ({how})"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )),
        }
    }
}
