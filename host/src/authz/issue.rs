//! Issuing task tokens: short-lived, for one agent and one task, scoped to
//! at most the agent's grant.

use std::time::Duration;

use chrono::{DateTime, Utc};

use std::sync::Arc;

use crate::authz::{TaskToken, TokenSigner, new_token_id, within};
use crate::config::{HostConfig, valid_id};
use crate::statedir::{StateDir, StateDirError};
use crate::vocab::Span;

/// Issues task tokens under a host config, signed with the host's token
/// key.
#[derive(Debug, Clone)]
pub struct Issuer {
    config: Arc<HostConfig>,
    key: TokenSigner,
}

/// Where a token comes from.
#[derive(Debug, Clone, Default)]
pub struct TokenOrigin {
    /// The operator who issued it.
    pub by: Option<String>,
    /// The resource it is for.
    pub aud: Option<String>,
    /// The identity credential it was exchanged for.
    pub via: Option<crate::audit::event::CredentialRef>,
    /// The key it is bound to (DPoP).
    pub cnf: Option<crate::authz::Confirmation>,
    /// Step-up scopes it carries besides its tools (the caller checked
    /// that the policies name them).
    pub step_up: Vec<String>,
}

/// Why no token was issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// The agent is not configured.
    #[error("no agent {0} in the host config")]
    UnknownAgent(String),
    /// The task id is unusable.
    #[error(
        "task {0:?} must be 1-64 of letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
    )]
    BadTask(String),
    /// The lifetime is zero or above the host's maximum.
    #[error("a token may live at most {max} (host.max-token-ttl); asked for {asked}")]
    Lifetime {
        /// The host's maximum.
        max: String,
        /// What was asked for.
        asked: String,
    },
    /// A tool asked for is outside the agent's grant.
    #[error("agent {agent} is not granted {tool}; its grant is: {grant}")]
    OutsideGrant {
        /// The agent.
        agent: String,
        /// The tool asked for.
        tool: String,
        /// What it is granted.
        grant: String,
    },
    /// The agent is granted nothing.
    #[error("agent {0} is granted no tools")]
    NoTools(String),
}

impl Issuer {
    /// An issuer with the token key of `state_dir` (created on first use).
    ///
    /// # Errors
    ///
    /// [`StateDirError`] when the key can be neither read nor created.
    pub fn new(config: Arc<HostConfig>, state_dir: &StateDir) -> Result<Self, StateDirError> {
        Ok(Self {
            config,
            key: TokenSigner::from_state_dir(state_dir)?,
        })
    }

    /// An issuer with a key already read.
    pub fn with_key(config: Arc<HostConfig>, key: TokenSigner) -> Self {
        Self { config, key }
    }

    /// The key it signs with.
    pub fn signer(&self) -> &TokenSigner {
        &self.key
    }

    /// Issue a task token of issuer `iss` (the fleet's id, or this
    /// host's) for `agent` and `task`, scoped to `tools` (all the agent's
    /// grant when empty), valid for `ttl` from `now`, on the authority of
    /// operator `by`. Returns the token and its claims.
    ///
    /// # Errors
    ///
    /// [`IssueError`] saying why no token was issued.
    #[allow(clippy::too_many_arguments)]
    pub fn issue_token(
        &self,
        iss: &str,
        agent: &str,
        task: &str,
        tools: &[String],
        ttl: Duration,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, TaskToken), IssueError> {
        let origin = TokenOrigin {
            by: Some(by.to_owned()),
            ..TokenOrigin::default()
        };
        self.issue_for(iss, agent, task, tools, ttl, origin, now)
    }

    /// Issue a task token as [`Issuer::issue_token`] does, with where it
    /// comes from: an operator, or an exchanged workload credential (its
    /// audience and credential).
    ///
    /// # Errors
    ///
    /// [`IssueError`] saying why no token was issued.
    #[allow(clippy::too_many_arguments)]
    pub fn issue_for(
        &self,
        iss: &str,
        agent: &str,
        task: &str,
        tools: &[String],
        ttl: Duration,
        origin: TokenOrigin,
        now: DateTime<Utc>,
    ) -> Result<(String, TaskToken), IssueError> {
        let a = self
            .config
            .agent(agent)
            .ok_or_else(|| IssueError::UnknownAgent(agent.to_owned()))?;
        if !valid_id(task) {
            return Err(IssueError::BadTask(task.to_owned()));
        }
        let max = self.config.max_token_ttl;
        if ttl.is_zero() || ttl > max {
            return Err(IssueError::Lifetime {
                max: Span(max).to_string(),
                asked: Span(ttl).to_string(),
            });
        }
        let scope = if tools.is_empty() {
            a.tools.clone()
        } else {
            for t in tools {
                if !within(&a.tools, t) {
                    return Err(IssueError::OutsideGrant {
                        agent: agent.to_owned(),
                        tool: t.clone(),
                        grant: a.tools.join(", "),
                    });
                }
            }
            tools.to_vec()
        };
        if scope.is_empty() {
            return Err(IssueError::NoTools(agent.to_owned()));
        }
        let mut scope = scope;
        scope.extend(origin.step_up.iter().cloned());
        let iat = now.timestamp();
        let token = TaskToken {
            id: new_token_id(),
            agent: agent.to_owned(),
            task: task.to_owned(),
            tools: scope,
            iat,
            nbf: iat,
            exp: iat + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2),
            by: origin.by,
            aud: origin.aud,
            via: origin.via,
            cnf: origin.cnf,
            kid: Some(self.key.kid().to_owned()),
        };
        Ok((self.key.encode(&token, iss), token))
    }
}
