//! The stop buttons: halt and resume, quarantine and release, disable and
//! enable a plugin, revoke a token. Each is one signed action, one
//! shared-state change effective in every process on the state, and one
//! audit record carrying the signature.

use crate::audit::event::{Event, OperatorAction};
use crate::config::Role;
use crate::keys::{ActionKind, SignedAction};
use crate::operator::{OperatorActions, OperatorError, kept};
use crate::state::StopTarget;
use crate::vocab::cap;

/// One stop button and its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Halt the host: every call refused, calls in flight cancelled.
    Halt,
    /// Resume after a halt.
    Resume,
    /// Quarantine an agent.
    Quarantine(String),
    /// Release a quarantined agent.
    Release(String),
    /// Disable a plugin.
    Disable(String),
    /// Enable a disabled plugin.
    Enable(String),
    /// Revoke a task token by id — or, given a token key's id (`wtk-…`),
    /// every token that key signed.
    Revoke(String),
}

impl Stop {
    /// The role it needs.
    pub fn role(&self) -> Role {
        match self {
            Self::Halt | Self::Resume => Role::Halt,
            Self::Quarantine(_) | Self::Release(_) => Role::Quarantine,
            Self::Disable(_) | Self::Enable(_) => Role::Disable,
            Self::Revoke(_) => Role::Revoke,
        }
    }

    /// The action an operator signs for it: its kind and target.
    pub fn action(&self) -> (ActionKind, &str) {
        match self {
            Self::Halt => (ActionKind::Halt, ""),
            Self::Resume => (ActionKind::Resume, ""),
            Self::Quarantine(a) => (ActionKind::Quarantine, a),
            Self::Release(a) => (ActionKind::Release, a),
            Self::Disable(p) => (ActionKind::Disable, p),
            Self::Enable(p) => (ActionKind::Enable, p),
            Self::Revoke(t) => (ActionKind::Revoke, t),
        }
    }

    /// What it says when it changed something, and when it did not.
    pub fn outcome(&self, changed: bool) -> String {
        match (self, changed) {
            (Self::Halt, true) => "host halted".into(),
            (Self::Halt, false) => "host was already halted".into(),
            (Self::Resume, true) => "host resumed".into(),
            (Self::Resume, false) => "host was not halted".into(),
            (Self::Quarantine(a), true) => format!("agent {a} quarantined"),
            (Self::Quarantine(a), false) => format!("agent {a} was already quarantined"),
            (Self::Release(a), true) => format!("agent {a} released"),
            (Self::Release(a), false) => format!("agent {a} was not quarantined"),
            (Self::Disable(p), true) => format!("plugin {p} disabled"),
            (Self::Disable(p), false) => format!("plugin {p} was already disabled"),
            (Self::Enable(p), true) => format!("plugin {p} enabled"),
            (Self::Enable(p), false) => format!("plugin {p} was already enabled"),
            (Self::Revoke(t), true) => format!("revoked {t}"),
            (Self::Revoke(t), false) => format!("{t} was already revoked"),
        }
    }
}

impl OperatorActions {
    /// Press (or release) a stop button under a signed action: verified,
    /// checked against the operator's role, applied in the shared state
    /// (every process sees it within 100 ms and cancels affected calls in
    /// flight), recorded with its signature. Returns whether anything
    /// changed.
    ///
    /// # Errors
    ///
    /// When the action is not authenticated or permitted, the agent is
    /// unknown, or the state fails.
    pub async fn stop(&self, stop: &Stop, signed: &SignedAction) -> Result<bool, OperatorError> {
        let (kind, target) = stop.action();
        let op = self.authenticate(signed, kind, target).await?;
        self.require(op, stop.role(), kind.as_str())?;
        if let Stop::Quarantine(a) = stop
            && self.config.agent(a).is_none()
        {
            return Err(OperatorError::Invalid(format!(
                "no agent {a} in the host config"
            )));
        }
        let (by, reason) = (op.name.as_str(), signed.action.reason.as_str());
        let mut action = OperatorAction {
            release: self.release.clone(),
            agent: None,
            plugin: None,
            token_id: None,
            by: cap(by),
            reason: cap(reason),
            changed: false,
            signed: kept(signed),
        };
        let s = &self.state;
        let (changed, event): (bool, fn(OperatorAction) -> Event) = match stop {
            Stop::Halt => (
                s.set_stop(&StopTarget::Halt, true, by, reason).await?,
                Event::HostHalted,
            ),
            Stop::Resume => (
                s.set_stop(&StopTarget::Halt, false, by, reason).await?,
                Event::HostResumed,
            ),
            Stop::Quarantine(a) => {
                action.agent = Some(a.clone());
                (
                    s.set_stop(&StopTarget::Agent(a.clone()), true, by, reason)
                        .await?,
                    Event::AgentQuarantined,
                )
            }
            Stop::Release(a) => {
                action.agent = Some(a.clone());
                (
                    s.set_stop(&StopTarget::Agent(a.clone()), false, by, reason)
                        .await?,
                    Event::AgentReleased,
                )
            }
            Stop::Disable(p) => {
                action.plugin = Some(p.clone());
                (
                    s.set_stop(&StopTarget::Plugin(p.clone()), true, by, reason)
                        .await?,
                    Event::PluginDisabled,
                )
            }
            Stop::Enable(p) => {
                action.plugin = Some(p.clone());
                (
                    s.set_stop(&StopTarget::Plugin(p.clone()), false, by, reason)
                        .await?,
                    Event::PluginEnabled,
                )
            }
            Stop::Revoke(k) if k.starts_with(crate::authz::KID_PREFIX) => {
                action.token_id = Some(k.clone());
                let key = StopTarget::RevokeKey(k.clone());
                (
                    s.set_stop(&key, true, by, reason).await?,
                    Event::TokenRevoked,
                )
            }
            Stop::Revoke(t) => {
                action.token_id = Some(t.clone());
                (s.revoke_token(t, by, reason).await?, Event::TokenRevoked)
            }
        };
        action.changed = changed;
        self.record(event(action)).await;
        Ok(changed)
    }
}
