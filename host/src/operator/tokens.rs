//! Signed actions that are not stop buttons: issuing a task token, asking
//! every host to reload, forgetting a plugin's version high-water mark.

use std::time::Duration;

use chrono::Utc;

use crate::audit::event::{Event, OperatorAction, TokenIssued, VersionReset};
use crate::authz::TaskToken;
use crate::config::Role;
use crate::keys::{ActionKind, SignedAction};
use crate::operator::{OperatorActions, OperatorError, kept};
use crate::vocab::cap;

impl OperatorActions {
    /// Issue a task token under a signed request; the record keeps the
    /// signature. Returns the token and its claims.
    ///
    /// # Errors
    ///
    /// When the request is not authenticated, not permitted (role `issue`),
    /// or asks for a token the config does not allow.
    pub async fn issue_token(
        &self,
        signed: &SignedAction,
    ) -> Result<(String, TaskToken), OperatorError> {
        let op = self.authenticate(signed, ActionKind::Issue, "").await?;
        self.require(op, Role::Issue, "issue task tokens")?;
        let Some(req) = &signed.action.issue else {
            return Err(OperatorError::Invalid(
                "the signed issue action names no token (agent, task, tools, ttl)".into(),
            ));
        };
        let (text, t) = self.issuer.issue_token(
            &req.agent,
            &req.task,
            &req.tools,
            Duration::from_secs(req.ttl_secs),
            &op.name,
            Utc::now(),
        )?;
        let a = self.config.agent(&req.agent);
        let event = Event::TokenIssued(TokenIssued {
            release: self.release.clone(),
            token_id: t.id.clone(),
            agent: t.agent.clone(),
            agent_owner: a.map(|a| a.owner.clone()),
            model: a.map(|a| a.model.clone()),
            model_owner: a.map(|a| a.model_owner.clone()),
            task: t.task.clone(),
            tools: t.tools.clone(),
            expires: chrono::DateTime::<Utc>::from_timestamp(t.exp, 0).map(|x| x.to_rfc3339()),
            by: cap(&op.name),
            signed: kept(signed),
        });
        self.audit.append(&event, true).await?;
        Ok((text, t))
    }

    /// Ask every host on this state to reload its config and trust, under
    /// a signed action (role `reload`). Returns the new reload generation.
    ///
    /// # Errors
    ///
    /// When the action is not authenticated or permitted, or the state or
    /// the audit chain fails.
    pub async fn request_reload(&self, signed: &SignedAction) -> Result<u64, OperatorError> {
        let op = self.authenticate(signed, ActionKind::Reload, "").await?;
        self.require(op, Role::Reload, "ask for a reload")?;
        let event = Event::ReloadRequested(OperatorAction {
            release: self.release.clone(),
            agent: None,
            plugin: None,
            token_id: None,
            by: cap(&op.name),
            reason: cap(&signed.action.reason),
            changed: true,
            signed: kept(signed),
        });
        self.audit.append(&event, true).await?;
        Ok(self.state.request_reload(&op.name).await?)
    }

    /// Forget `plugin`'s version high-water mark under a signed action
    /// (role `reset-version`), so an older release may load again. Returns
    /// the version that was recorded.
    ///
    /// # Errors
    ///
    /// When the action is not authenticated or permitted, or the state or
    /// the audit chain fails.
    pub async fn reset_version(
        &self,
        plugin: &str,
        signed: &SignedAction,
    ) -> Result<Option<String>, OperatorError> {
        let op = self
            .authenticate(signed, ActionKind::ResetVersion, plugin)
            .await?;
        self.require(op, Role::ResetVersion, "reset version marks")?;
        let from = self
            .state
            .highest_version(plugin)
            .await?
            .map(|m| m.version.to_string());
        self.audit
            .append(
                &Event::VersionReset(VersionReset {
                    release: self.release.clone(),
                    plugin: plugin.to_owned(),
                    from: from.clone(),
                    by: cap(&op.name),
                    reason: cap(&signed.action.reason),
                    signed: kept(signed),
                }),
                true,
            )
            .await?;
        self.state.reset_version(plugin).await?;
        Ok(from)
    }
}
