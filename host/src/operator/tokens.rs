//! Signed actions that are not stop buttons: issuing a task token, asking
//! every host to reload, forgetting a plugin's version high-water mark —
//! and rotating a host's token key.

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
        self.state
            .publish_token_key(&self.issuer.signer().published())
            .await?;
        let iss = self.audience().await?;
        let (text, t) = self.issuer.issue_token(
            &iss,
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

/// A host's token key, rotated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    /// The key rotated out.
    pub old: String,
    /// The key it signs with now.
    pub new: String,
    /// Whether the old key was revoked (its tokens refused at once) rather
    /// than retired (its tokens good until they expire).
    pub revoked: bool,
}

/// Rotate the token key of the host whose state directory `config` names:
/// a new key, published; the old one rotated out — tokens it signed before
/// stay good until they expire, unless `revoke_old` (a key that may have
/// leaked: nothing it signed verifies any more) — in every host of the
/// fleet; every host reloads, this one to sign with the new key.
///
/// # Errors
///
/// When the state directory or the shared state cannot be used.
pub async fn rotate_token_key(
    config: &crate::HostConfig,
    revoke_old: bool,
) -> Result<Rotated, OperatorError> {
    use crate::authz::TokenSigner;
    use crate::state::StopTarget;
    let dir = crate::statedir::StateDir::create(&config.state_dir)?;
    let state = crate::operator::open_state(config, &dir)?;
    let old = TokenSigner::from_state_dir(&dir)?;
    state.publish_token_key(&old.published()).await?;
    dir.replace_host_key(crate::statedir::HostKey::Tokens)?;
    let new = TokenSigner::from_state_dir(&dir)?;
    state.publish_token_key(&new.published()).await?;
    let by = format!("{} (warrant token rotate-key)", old.host());
    let (target, reason) = if revoke_old {
        (
            StopTarget::RevokeKey(old.kid().to_owned()),
            "revoked by its host",
        )
    } else {
        (
            StopTarget::RetireKey(old.kid().to_owned()),
            "rotated out by its host",
        )
    };
    state.set_stop(&target, true, &by, reason).await?;
    state.request_reload(&by).await?;
    Ok(Rotated {
        old: old.kid().to_owned(),
        new: new.kid().to_owned(),
        revoked: revoke_old,
    })
}
