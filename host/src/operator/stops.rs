//! The stop buttons: halt and resume, quarantine and release, disable and
//! enable a plugin, revoke a token — and resetting a version mark. Each is
//! one shared-state change, effective in every process on the state, and
//! one audit record.

use crate::audit::event::{Event, OperatorAction, VersionReset};
use crate::operator::{OperatorActions, OperatorError, Role};
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
    /// Revoke a task token by id.
    Revoke(String),
}

impl Stop {
    /// The role it needs.
    pub fn role(&self) -> Role {
        match self {
            Self::Halt | Self::Resume => Role::Halt,
            Self::Quarantine(_) | Self::Disable(_) => Role::Quarantine,
            Self::Release(_) | Self::Enable(_) => Role::Release,
            Self::Revoke(_) => Role::Tokens,
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
    /// Press (or release) a stop button as `by`: checked against the role,
    /// applied in the shared state (every process sees it within 100 ms and
    /// cancels affected calls in flight), recorded in the chain. Returns
    /// whether anything changed.
    ///
    /// # Errors
    ///
    /// When `by` may not, the agent is unknown, or the state fails.
    pub async fn stop(&self, stop: &Stop, by: &str, reason: &str) -> Result<bool, OperatorError> {
        self.require(stop.role(), by)?;
        let mut action = OperatorAction {
            agent: None,
            plugin: None,
            token_id: None,
            by: cap(by),
            reason: cap(reason),
            changed: false,
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
                if self.config.agent(a).is_none() {
                    return Err(OperatorError::Invalid(format!(
                        "no agent {a} in the host config"
                    )));
                }
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
            Stop::Revoke(t) => {
                action.token_id = Some(t.clone());
                (s.revoke_token(t, by, reason).await?, Event::TokenRevoked)
            }
        };
        action.changed = changed;
        self.record(event(action)).await;
        Ok(changed)
    }

    /// Forget a plugin's version high-water mark, so that a lower version
    /// may load again (after a release that was a mistake). Only an
    /// operator can do this — never a manifest.
    ///
    /// # Errors
    ///
    /// When `by` may not, or the state fails.
    pub async fn reset_version(
        &self,
        plugin: &str,
        by: &str,
        reason: &str,
    ) -> Result<Option<String>, OperatorError> {
        self.require(Role::Release, by)?;
        let old = self.state.reset_version(plugin).await?;
        let from = old.map(|m| m.version.to_string());
        self.audit
            .append(
                &Event::VersionReset(VersionReset {
                    plugin: plugin.to_owned(),
                    from: from.clone(),
                    by: cap(by),
                    reason: cap(reason),
                }),
                true,
            )
            .await?;
        Ok(from)
    }
}
