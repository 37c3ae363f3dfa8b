//! Operator actions over the shared state: task tokens, stop buttons,
//! approvals, version resets, reloads. Every action is checked against the
//! operator's role in the host config and recorded in the audit chain.
//! Nothing here loads plugins, so the CLI answers at once, with or without
//! a server running. (Their HTTP routes are `api::operator_api`.)

mod approvals;
mod roles;
mod stops;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use crate::audit::event::{Event, TokenIssued};
use crate::audit::{AuditError, AuditKeys, AuditLog, AuditOptions};
use crate::authz::{IssueError, Issuer, TaskToken};
use crate::config::HostConfig;
use crate::state::{SharedState, SqliteState, StateError};
use crate::statedir::{StateDir, StateDirError};
use crate::vocab::cap;

pub use roles::Role;
pub use stops::Stop;

/// Why an operator action was refused.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// The operator may not take this action.
    #[error("{who} may not {action}: not listed under [operators] {list} in {config}")]
    NotPermitted {
        /// The operator.
        who: String,
        /// The action.
        action: String,
        /// The config list that would allow it.
        list: &'static str,
        /// The config file.
        config: String,
    },
    /// The operator may not approve this call.
    #[error("{0}")]
    NotApprover(String),
    /// The thing named does not exist or is not in the right state.
    #[error("{0}")]
    Invalid(String),
    /// No token was issued.
    #[error(transparent)]
    Issue(#[from] IssueError),
    /// The state directory or its keys.
    #[error(transparent)]
    StateDir(#[from] StateDirError),
    /// The shared state.
    #[error(transparent)]
    State(#[from] StateError),
    /// The audit chain; the action was not taken.
    #[error("not done, failing closed: {0}")]
    Audit(#[from] AuditError),
}

/// Operator actions on one host's state. Cheap to clone.
#[derive(Debug, Clone)]
pub struct OperatorActions {
    config: Arc<HostConfig>,
    state: Arc<dyn SharedState>,
    audit: Arc<AuditLog>,
    issuer: Issuer,
}

impl OperatorActions {
    /// Open the state and audit chain of `config`.
    ///
    /// # Errors
    ///
    /// When the state directory, the state or the audit chain cannot be
    /// used.
    pub fn open(config: HostConfig) -> Result<Self, OperatorError> {
        let config = Arc::new(config);
        let dir = StateDir::create(&config.state_dir)?;
        let state: Arc<dyn SharedState> = Arc::new(SqliteState::open(&dir.db_path())?);
        let keys = AuditKeys::load_or_create(&dir)?;
        let audit = Arc::new(AuditLog::open(
            &config.audit.dir,
            keys.clone(),
            AuditOptions {
                reserve: config.audit.reserve,
                witness: config.audit.witness.clone(),
                host_id: Some(keys.host_id()),
                ..AuditOptions::default()
            },
        )?);
        Ok(Self::with(config, &dir, state, audit)?)
    }

    /// Use an already open state and audit chain.
    ///
    /// # Errors
    ///
    /// When the token key cannot be used.
    pub fn with(
        config: Arc<HostConfig>,
        dir: &StateDir,
        state: Arc<dyn SharedState>,
        audit: Arc<AuditLog>,
    ) -> Result<Self, StateDirError> {
        let issuer = Issuer::new(Arc::clone(&config), dir)?;
        Ok(Self {
            config,
            state,
            audit,
            issuer,
        })
    }

    /// The config.
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// The shared state.
    pub fn state(&self) -> &Arc<dyn SharedState> {
        &self.state
    }

    /// The audit chain.
    pub fn audit(&self) -> &Arc<AuditLog> {
        &self.audit
    }

    /// Issue a task token; recorded in the chain before it is handed out.
    ///
    /// # Errors
    ///
    /// [`OperatorError`] saying why no token was issued.
    pub async fn issue_token(
        &self,
        agent: &str,
        task: &str,
        tools: &[String],
        ttl: Duration,
        by: &str,
    ) -> Result<(String, TaskToken), OperatorError> {
        self.require(Role::Tokens, by)?;
        let (text, t) = self
            .issuer
            .issue_token(agent, task, tools, ttl, Utc::now())?;
        let a = self.config.agent(agent);
        let event = Event::TokenIssued(TokenIssued {
            token_id: t.id.clone(),
            agent: t.agent.clone(),
            agent_owner: a.map(|a| a.owner.clone()),
            model: a.map(|a| a.model.clone()),
            model_owner: a.map(|a| a.model_owner.clone()),
            task: t.task.clone(),
            tools: t.tools.clone(),
            expires: chrono::DateTime::<Utc>::from_timestamp(t.exp, 0).map(|x| x.to_rfc3339()),
            by: cap(by),
        });
        self.audit.append(&event, true).await?;
        Ok((text, t))
    }

    /// Ask every host on this state to reload its config and trust (they
    /// re-verify their plugins, unload what no longer verifies, and record
    /// it).
    ///
    /// # Errors
    ///
    /// When `by` may not, or the state fails.
    pub async fn request_reload(&self, by: &str) -> Result<u64, OperatorError> {
        self.require(Role::Halt, by)?;
        Ok(self.state.request_reload(by).await?)
    }

    /// Stop buttons act even if the chain cannot be written; the failure is
    /// logged loudly.
    async fn record(&self, event: Event) {
        if let Err(e) = self.audit.append(&event, true).await {
            tracing::error!(
                "{} took effect but could not be recorded in the audit chain: {e}",
                event.kind()
            );
        }
    }
}
