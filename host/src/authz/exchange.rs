//! Token exchange (RFC 8693): an agent workload presents the credential
//! its platform issued it and gets a task token for one task. The workload
//! must verify under a configured issuer and be exactly one configured
//! agent; the token's scope is within the agent's grant, its lifetime
//! within the host's maximum and the credential's own; a credential with a
//! `jti` is used once; a halted host or a quarantined agent gets nothing.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::audit::event::CredentialRef;
use crate::authz::{Authz, IssueError, Issuer, Stoppable, TaskToken, TokenOrigin, stopped};
use crate::identity::{Presented, Verified};

/// Default lifetime of an exchanged task token.
const DEFAULT_TTL: Duration = Duration::from_secs(15 * 60);

/// One exchange request.
#[derive(Debug, Clone)]
pub struct ExchangeRequest<'a> {
    /// The workload credential (`subject_token`).
    pub subject_token: &'a str,
    /// The task.
    pub task: &'a str,
    /// Narrow the token to these tools (`scope`); empty: the agent's grant.
    pub tools: Vec<String>,
    /// Ask for a shorter lifetime.
    pub ttl: Option<Duration>,
    /// The resource the task token is for (its audience).
    pub resource: Option<String>,
    /// The thumbprint of the key the request proved (DPoP): the token is
    /// bound to it.
    pub dpop_jkt: Option<String>,
}

/// A task token issued for a workload credential.
#[derive(Debug, Clone)]
pub struct Exchanged {
    /// The token.
    pub token: String,
    /// Its claims.
    pub claims: TaskToken,
    /// The credential it was exchanged for.
    pub credential: Verified,
}

/// Why no token was issued, in OAuth's terms (RFC 6749 §5.2, RFC 8693).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {reason}")]
pub struct ExchangeError {
    /// `invalid_request`, `invalid_grant`, `invalid_scope`.
    pub code: &'static str,
    /// Why.
    pub reason: String,
    /// The credential, when it verified.
    pub credential: Option<Verified>,
    /// The issuer's local id, when the credential named one.
    pub issuer: Option<String>,
    /// The agent, when the workload is one.
    pub agent: Option<String>,
}

impl ExchangeError {
    fn new(code: &'static str, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
            credential: None,
            issuer: None,
            agent: None,
        }
    }
}

impl Authz {
    /// Exchange a workload credential for a task token.
    ///
    /// # Errors
    ///
    /// [`ExchangeError`] with the OAuth error code and why.
    pub async fn exchange(
        &self,
        req: &ExchangeRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<Exchanged, ExchangeError> {
        if req.subject_token.trim().is_empty() {
            return Err(ExchangeError::new(
                "invalid_request",
                "no subject_token: present the workload's credential",
            ));
        }
        let v = self
            .verifier
            .verify(req.subject_token, Presented::Workload, now.timestamp())
            .await
            .map_err(|e| ExchangeError::new("invalid_grant", e.0))?;
        let fail = |code: &'static str, reason: String, agent: Option<String>| ExchangeError {
            code,
            reason,
            credential: Some(v.clone()),
            issuer: Some(v.issuer.clone()),
            agent,
        };
        let found = self
            .config
            .agent_for_workload(&v.issuer, v.subject.as_deref(), v.client_id.as_deref())
            .map_err(|why| fail("invalid_grant", why, None))?;
        let Some(agent) = found else {
            return Err(fail(
                "invalid_grant",
                format!(
                    "the workload {} of issuer {} is no agent here (an [[agents]] entry lists it under `workload`)",
                    v.subject
                        .as_deref()
                        .or(v.client_id.as_deref())
                        .unwrap_or("-"),
                    v.issuer
                ),
                None,
            ));
        };
        let stops = self.state.stop_state().await.map_err(|e| {
            fail(
                "invalid_request",
                format!("the host cannot read its state: {e}"),
                Some(agent.id.clone()),
            )
        })?;
        if let Some(r) = stopped(&stops, Stoppable::agent(&agent.id)) {
            return Err(fail("invalid_grant", r.to_string(), Some(agent.id.clone())));
        }
        let left = Duration::from_secs(u64::try_from(v.exp - now.timestamp()).unwrap_or(0));
        let ttl = req
            .ttl
            .unwrap_or(DEFAULT_TTL)
            .min(self.config.max_token_ttl)
            .min(left);
        if ttl.is_zero() {
            return Err(fail(
                "invalid_grant",
                "the credential expires now".into(),
                Some(agent.id.clone()),
            ));
        }
        if let Some(jti) = &v.jti {
            let expires =
                (v.exp + 2 * i64::try_from(self.config.clock_skew.as_secs()).unwrap_or(0)) * 1000;
            let fresh = self
                .state
                .use_nonce(
                    &format!("jwt:{}:{jti}", v.issuer),
                    &format!("workload:{}", agent.id),
                    expires,
                )
                .await
                .map_err(|e| {
                    fail(
                        "invalid_request",
                        format!("the host cannot record the credential: {e}"),
                        Some(agent.id.clone()),
                    )
                })?;
            if !fresh {
                return Err(fail(
                    "invalid_grant",
                    format!(
                        "this credential (jti {jti}) was exchanged before; present a fresh one"
                    ),
                    Some(agent.id.clone()),
                ));
            }
        }
        if agent.require_dpop && req.dpop_jkt.is_none() {
            return Err(fail(
                "invalid_dpop_proof",
                format!(
                    "agent {} requires DPoP-bound tokens: send the exchange with a DPoP proof",
                    agent.id
                ),
                Some(agent.id.clone()),
            ));
        }
        // Step-up scopes (names without a dot) are ones the policies name.
        let (step_up, tools): (Vec<String>, Vec<String>) = req
            .tools
            .iter()
            .cloned()
            .partition(|t| crate::authz::policy::is_scope_name(t));
        let known = self.policy.step_up_scopes();
        if let Some(unknown) = step_up.iter().find(|s| !known.contains(s)) {
            return Err(fail(
                "invalid_scope",
                format!(
                    "{unknown:?} is neither a tool nor a step-up scope a policy here names (step-up scopes: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(" ")
                    }
                ),
                Some(agent.id.clone()),
            ));
        }
        let origin = TokenOrigin {
            by: None,
            step_up,
            aud: req.resource.clone(),
            cnf: req
                .dpop_jkt
                .clone()
                .map(|jkt| crate::authz::Confirmation { jkt }),
            via: Some(CredentialRef {
                issuer: v.issuer.clone(),
                subject: v
                    .subject
                    .clone()
                    .or_else(|| v.client_id.clone())
                    .unwrap_or_default(),
                id: v.credential_id(),
                kind: None,
            }),
        };
        let cannot = |e: crate::state::StateError| {
            fail(
                "invalid_request",
                format!("the host cannot publish its token key: {e}"),
                Some(agent.id.clone()),
            )
        };
        self.publish_key().await.map_err(cannot)?;
        let iss = self.issuer_id().await.map_err(cannot)?;
        let issuer = Issuer::with_key(Arc::clone(&self.config), self.signer.clone());
        let (token, claims) = issuer
            .issue_for(&iss, &agent.id, req.task, &tools, ttl, origin, now)
            .map_err(|e| {
                let code = match e {
                    IssueError::OutsideGrant { .. } | IssueError::NoTools(_) => "invalid_scope",
                    _ => "invalid_request",
                };
                fail(code, e.to_string(), Some(agent.id.clone()))
            })?;
        Ok(Exchanged {
            token,
            claims,
            credential: v,
        })
    }
}
