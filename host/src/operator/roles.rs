//! What an operator may do, as the host config lists it.

use crate::operator::{OperatorActions, OperatorError};

/// A stop-button or token permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Halt and resume the host; ask for a reload.
    Halt,
    /// Quarantine agents, disable plugins.
    Quarantine,
    /// Release agents, enable plugins, reset version marks.
    Release,
    /// Issue and revoke task tokens.
    Tokens,
}

impl Role {
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Self::Halt => ("halt or resume the host", "halt"),
            Self::Quarantine => ("quarantine agents or disable plugins", "quarantine"),
            Self::Release => ("release agents or enable plugins", "release"),
            Self::Tokens => ("issue or revoke task tokens", "tokens"),
        }
    }
}

impl OperatorActions {
    /// Whether `who` may act in `role` (deny unless listed).
    pub fn may(&self, role: Role, who: &str) -> bool {
        let o = &self.config.file.operators;
        let list = match role {
            Role::Halt => &o.halt,
            Role::Quarantine => &o.quarantine,
            Role::Release => &o.release,
            Role::Tokens => &o.tokens,
        };
        list.iter().any(|n| n == who)
    }

    pub(super) fn require(&self, role: Role, who: &str) -> Result<(), OperatorError> {
        if self.may(role, who) {
            return Ok(());
        }
        let (action, list) = role.words();
        Err(OperatorError::NotPermitted {
            who: who.to_owned(),
            action: action.into(),
            list,
            config: self.config.path.display().to_string(),
        })
    }
}
