//! A presented bearer credential as task-token claims: a task token of
//! this fleet (a JWT naming a host's published token key), or — where an issuer's `access-tokens = true` — a
//! JWT access token (RFC 9068) of the organisation's authorization server,
//! for this host's resource, whose subject or client id is a configured
//! agent and whose task claim names the task. Either then passes the same
//! time window, maximum lifetime, revocation and scope checks.

use chrono::{DateTime, Utc};

use crate::audit::event::CredentialRef;
use crate::authz::{Authz, Refusal, TaskToken};
use crate::config::valid_id;
use crate::identity::Presented;

impl Authz {
    /// The claims of `token`, once its signature verified.
    pub(crate) async fn decode_bearer(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<TaskToken, Refusal> {
        if let Some(kid) = crate::authz::token::warrant_kid(token) {
            return self.decode_task_token(token, &kid).await;
        }
        let jwt = token.trim().matches('.').count() == 2;
        if !jwt || !self.verifier.accepts_access_tokens() {
            return Err(Refusal::Token(
                crate::authz::TokenFormatError::Malformed.to_string(),
            ));
        }
        let refused = |why: String| Refusal::Token(format!("access token refused: {why}"));
        let resource = self.config.file.api.resource.clone().unwrap_or_default();
        let v = self
            .verifier
            .verify(
                token,
                Presented::AccessToken {
                    resource: &resource,
                },
                now.timestamp(),
            )
            .await
            .map_err(|e| refused(e.0))?;
        let agent = self
            .config
            .agent_for_workload(&v.issuer, v.subject.as_deref(), v.client_id.as_deref())
            .map_err(&refused)?
            .ok_or_else(|| {
                refused(format!(
                    "its subject {} (client {}) of issuer {} is no agent here",
                    v.subject.as_deref().unwrap_or("-"),
                    v.client_id.as_deref().unwrap_or("-"),
                    v.issuer
                ))
            })?;
        let claim = self
            .config
            .issuer(&v.issuer)
            .map_or("warrant_task", |i| i.task_claim.as_str());
        let task = v
            .claim(claim)
            .ok_or_else(|| refused(format!("it has no `{claim}` claim naming the task")))?;
        if !valid_id(task) {
            return Err(refused(format!("its task {task:?} is not a task id")));
        }
        let scoped: Vec<String> = v
            .claim("scope")
            .unwrap_or_default()
            .split_whitespace()
            .filter(|s| {
                s.split_once('.')
                    .is_some_and(|(p, t)| !p.is_empty() && !t.is_empty())
            })
            .map(str::to_owned)
            .collect();
        let id = crate::vocab::cap_at(&v.credential_id(), 128);
        let now_s = now.timestamp();
        Ok(TaskToken {
            id: id.clone(),
            agent: agent.id.clone(),
            task: task.to_owned(),
            tools: if scoped.is_empty() {
                agent.tools.clone()
            } else {
                scoped
            },
            iat: v.iat.or(v.nbf).unwrap_or(now_s),
            nbf: v.nbf.or(v.iat).unwrap_or(now_s),
            exp: v.exp,
            by: None,
            aud: Some(resource),
            // An access token bound to a key (RFC 9449 §6: `cnf.jkt`).
            cnf: v
                .claims
                .get("cnf")
                .and_then(|c| c.get("jkt"))
                .and_then(serde_json::Value::as_str)
                .map(|jkt| crate::authz::Confirmation {
                    jkt: jkt.to_owned(),
                }),
            via: Some(CredentialRef {
                issuer: v.issuer.clone(),
                subject: v
                    .subject
                    .clone()
                    .or_else(|| v.client_id.clone())
                    .unwrap_or_default(),
                id,
                kind: Some("access-token".into()),
            }),
            kid: None,
        })
    }

    /// A task token of this fleet: signed by the published key `kid`, for
    /// this fleet's issuer. (Whether the key was revoked or rotated out is
    /// the stop state's, checked with the token's time.)
    async fn decode_task_token(&self, token: &str, kid: &str) -> Result<TaskToken, Refusal> {
        if let Some(t) = self.verified.get(token) {
            return Ok(t);
        }
        let key = self
            .keyring
            .key(kid)
            .await
            .map_err(|e| Refusal::Host(format!("the token keys cannot be read: {e}")))?
            .ok_or_else(|| {
                Refusal::Token(format!(
                    "the token is signed by key {kid}, which no host of this fleet published (a token of another fleet, or forged)"
                ))
            })?;
        let (t, iss) = crate::authz::token::decode(token, kid, &key.public_key)
            .map_err(|e| Refusal::Token(e.to_string()))?;
        let ours = self
            .issuer_id()
            .await
            .map_err(|e| Refusal::Host(format!("this fleet's id cannot be read: {e}")))?;
        if iss != ours {
            return Err(Refusal::Token(format!(
                "the token was issued for {iss}, not for this fleet ({ours})"
            )));
        }
        self.verified.put(token, &t);
        Ok(t)
    }
}
