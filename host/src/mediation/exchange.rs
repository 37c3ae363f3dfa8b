//! Token exchange through the host: [`Authz::exchange`](crate::authz::Authz::exchange)
//! decides, and every exchange — issued or refused — is recorded in the
//! audit chain before the answer leaves, naming the workload credential
//! (never the credential itself).

use chrono::Utc;

use crate::audit::event::{CredentialRef, Event, ExchangeRefused, TokenExchanged};
use crate::authz::{ExchangeError, ExchangeRequest, Exchanged, Refusal, TaskToken};
use crate::mediation::Host;
use crate::vocab::cap;

fn rfc3339(t: i64) -> Option<String> {
    chrono::DateTime::<Utc>::from_timestamp(t, 0).map(|x| x.to_rfc3339())
}

impl Host {
    /// Exchange a workload credential for a task token (RFC 8693), arriving
    /// by `channel` (`http`, `cli`); recorded either way.
    ///
    /// # Errors
    ///
    /// [`ExchangeError`] with the OAuth error code and why; a chain that
    /// cannot be written refuses the exchange (`invalid_request`).
    pub async fn exchange(
        &self,
        req: &ExchangeRequest<'_>,
        channel: &str,
    ) -> Result<Exchanged, ExchangeError> {
        let loaded = self.loaded();
        let result = loaded.authz.exchange(req, Utc::now()).await;
        self.meters().exchange(match &result {
            Ok(_) => "issued",
            Err(e) => e.code,
        });
        let event = match &result {
            Ok(x) => {
                let t = &x.claims;
                let a = loaded.config.agent(&t.agent);
                Event::TokenExchanged(Box::new(TokenExchanged {
                    token_id: t.id.clone(),
                    agent: t.agent.clone(),
                    agent_owner: a.map(|a| a.owner.clone()),
                    model: a.map(|a| a.model.clone()),
                    model_owner: a.map(|a| a.model_owner.clone()),
                    task: t.task.clone(),
                    tools: t.tools.clone(),
                    expires: rfc3339(t.exp),
                    credential: t.via.clone().unwrap_or(CredentialRef {
                        issuer: x.credential.issuer.clone(),
                        subject: String::new(),
                        id: x.credential.credential_id(),
                        kind: None,
                    }),
                    iss: cap(&x.credential.iss),
                    credential_expires: rfc3339(x.credential.exp),
                    channel: channel.to_owned(),
                    release: Some(loaded.release.clone()),
                }))
            }
            Err(e) => Event::ExchangeRefused(Box::new(ExchangeRefused {
                error: e.code.to_owned(),
                reason: cap(&e.reason),
                issuer: e.issuer.clone(),
                subject: e
                    .credential
                    .as_ref()
                    .and_then(|c| c.subject.clone().or_else(|| c.client_id.clone()))
                    .map(|s| cap(&s)),
                agent: e.agent.clone(),
                task: Some(cap(req.task)).filter(|t| !t.is_empty()),
                credential_digest: format!(
                    "sha256:{}",
                    crate::keys::sha256_hex(req.subject_token.trim().as_bytes())
                ),
                channel: channel.to_owned(),
                release: Some(loaded.release.clone()),
            })),
        };
        if let Err(e) = self.inner.audit.append(&event, true).await {
            return Err(ExchangeError {
                code: "invalid_request",
                reason: format!(
                    "not issued, failing closed: the audit chain cannot be written: {e}"
                ),
                credential: None,
                issuer: None,
                agent: None,
            });
        }
        result
    }

    /// The claims of a bearer credential accepted now (signature, time,
    /// lifetime, revocation, agent, stop buttons), for the HTTP server's
    /// authentication of `/mcp`.
    ///
    /// # Errors
    ///
    /// The [`Refusal`] of the token layers.
    pub async fn admit(&self, token: &str) -> Result<TaskToken, Refusal> {
        self.admit_from(token, &crate::authz::Sender::Unproven)
            .await
    }

    /// [`Host::admit`] for a request whose sender proved what `sender`
    /// says (DPoP): a bound token needs a proof by its key.
    ///
    /// # Errors
    ///
    /// The [`Refusal`], [`Refusal::Sender`] for the binding.
    pub async fn admit_from(
        &self,
        token: &str,
        sender: &crate::authz::Sender,
    ) -> Result<TaskToken, Refusal> {
        let stops = self.stops_for_call().await?;
        let loaded = self.loaded();
        let (t, agent) = match loaded.authz.admit_token(token, &stops, Utc::now()).await {
            Ok(ok) => ok,
            // A stopped agent's token is still checked for its binding.
            Err(d) => match (&d.refusal, &d.known.token, d.known.agent) {
                (Refusal::Halted { .. } | Refusal::Quarantined { .. }, Some(t), Some(a)) => {
                    loaded.authz.check_binding(t, a, sender)?;
                    return Err(d.refusal);
                }
                _ => return Err(d.refusal),
            },
        };
        loaded.authz.check_binding(&t, agent, sender)?;
        Ok(t)
    }
}
