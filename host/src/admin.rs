//! Operator actions over the shared state: task tokens, stop buttons,
//! approvals. Every action is recorded in the audit chain. Nothing here
//! loads plugins, so the CLI answers at once, with or without a server
//! running.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use crate::audit::{AuditError, AuditKeys, AuditLog, CheckpointPolicy, cap, keys_dir};
use crate::authz::{
    Agents, AuthzError, OperatorAction, TaskToken, TokenKey, approvers_for, operator_may,
};
use crate::config::HostConfig;
use crate::state::{Approval, ApprovalStatus, StateDb, StateError, now_ms};

/// Why an operator action was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
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
    /// The configuration.
    #[error(transparent)]
    Config(#[from] AuthzError),
    /// The state database.
    #[error(transparent)]
    State(#[from] StateError),
    /// The audit chain; the action was not taken.
    #[error("not done, failing closed: {0}")]
    Audit(#[from] AuditError),
}

/// Operator actions on one host's state.
#[derive(Debug, Clone)]
pub struct Admin {
    config: HostConfig,
    state: Arc<StateDb>,
    audit: Arc<AuditLog>,
    agents: Agents,
    token_key: TokenKey,
}

/// Open the state database and audit chain of a config.
///
/// # Errors
///
/// When either cannot be opened.
pub fn open_state(config: &HostConfig) -> Result<(Arc<StateDb>, Arc<AuditLog>), AdminError> {
    open_state_with(config, CheckpointPolicy::default())
}

/// [`open_state`] with explicit audit-chain options.
///
/// # Errors
///
/// When either cannot be opened.
pub fn open_state_with(
    config: &HostConfig,
    policy: CheckpointPolicy,
) -> Result<(Arc<StateDb>, Arc<AuditLog>), AdminError> {
    let state = Arc::new(StateDb::open(&config.state_dir)?);
    let keys =
        AuditKeys::load_or_create(&keys_dir(&config.state_dir)).map_err(|why| AuditError::Io {
            path: keys_dir(&config.state_dir),
            why,
        })?;
    let audit = Arc::new(AuditLog::open(&config.audit_dir(), keys, policy)?);
    Ok((state, audit))
}

impl Admin {
    /// Open the state and audit chain of `config`.
    ///
    /// # Errors
    ///
    /// When the state, the audit chain or the agents cannot be used.
    pub fn open(config: HostConfig) -> Result<Self, AdminError> {
        let (state, audit) = open_state(&config)?;
        Self::with(config, state, audit)
    }

    /// Use an already open state database and audit chain.
    ///
    /// # Errors
    ///
    /// When the agents or the token key cannot be used.
    pub fn with(
        config: HostConfig,
        state: Arc<StateDb>,
        audit: Arc<AuditLog>,
    ) -> Result<Self, AdminError> {
        let agents = Agents::from_config(&config)?;
        let token_key = TokenKey::load_or_create(&config.state_dir.join("keys"))
            .map_err(AuthzError::TokenKey)?;
        Ok(Self {
            config,
            state,
            audit,
            agents,
            token_key,
        })
    }

    /// The config.
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// The state database.
    pub fn state(&self) -> &Arc<StateDb> {
        &self.state
    }

    /// The audit chain.
    pub fn audit(&self) -> &Arc<AuditLog> {
        &self.audit
    }

    fn require(&self, action: OperatorAction, who: &str) -> Result<(), AdminError> {
        if operator_may(&self.config, action, who) {
            return Ok(());
        }
        let (verb, list) = match action {
            OperatorAction::Halt => ("halt or resume the host", "halt"),
            OperatorAction::Quarantine => ("quarantine agents or disable plugins", "quarantine"),
            OperatorAction::Release => ("release agents or enable plugins", "release"),
            OperatorAction::Tokens => ("revoke task tokens", "tokens"),
        };
        Err(AdminError::NotPermitted {
            who: who.to_owned(),
            action: verb.into(),
            list,
            config: self.config.path.display().to_string(),
        })
    }

    /// Issue a task token; recorded in the chain before it is handed out.
    ///
    /// # Errors
    ///
    /// [`AdminError`] saying why no token was issued.
    pub async fn issue_token(
        &self,
        agent: &str,
        task: &str,
        tools: &[String],
        ttl: Duration,
        by: &str,
    ) -> Result<(String, TaskToken), AdminError> {
        let (text, t) = self
            .agents
            .issue_token(&self.token_key, agent, task, tools, ttl, Utc::now())
            .map_err(AdminError::Invalid)?;
        let a = self.agents.get(agent);
        self.audit
            .append(
                "token.issued",
                json!({
                    "token_id": t.id, "agent": t.agent, "agent_owner": a.map(|a| a.owner.as_str()),
                    "model": a.map(|a| a.model.as_str()), "model_owner": a.map(|a| a.model_owner.as_str()),
                    "task": t.task, "tools": t.tools,
                    "expires": chrono::DateTime::<Utc>::from_timestamp(t.exp, 0).map(|x| x.to_rfc3339()),
                    "by": cap(by),
                }),
                true,
            )
            .await?;
        Ok((text, t))
    }

    /// Revoke a task token by id.
    ///
    /// # Errors
    ///
    /// When `by` may not revoke tokens, or the state cannot be written.
    pub async fn revoke_token(
        &self,
        token_id: &str,
        by: &str,
        reason: &str,
    ) -> Result<bool, AdminError> {
        self.require(OperatorAction::Tokens, by)?;
        let changed = self.state.revoke_token(token_id, by, reason)?;
        self.record(
            "token.revoked",
            json!({"token_id": token_id, "by": by, "reason": cap(reason), "changed": changed}),
        )
        .await;
        Ok(changed)
    }

    /// Quarantine an agent: its calls are refused and its in-flight calls
    /// cancelled, by every process sharing this state, within 100 ms.
    ///
    /// # Errors
    ///
    /// When `by` may not, the agent is unknown, or the state fails.
    pub async fn quarantine(
        &self,
        agent: &str,
        by: &str,
        reason: &str,
    ) -> Result<bool, AdminError> {
        self.require(OperatorAction::Quarantine, by)?;
        if self.agents.get(agent).is_none() {
            return Err(AdminError::Invalid(format!(
                "no agent {agent} in the host config"
            )));
        }
        let changed = self.state.set_stop("agent", agent, true, by, reason)?;
        self.record(
            "agent.quarantined",
            json!({"agent": agent, "by": by, "reason": cap(reason), "changed": changed}),
        )
        .await;
        Ok(changed)
    }

    /// Release a quarantined agent.
    ///
    /// # Errors
    ///
    /// When `by` may not, or the state fails.
    pub async fn release(&self, agent: &str, by: &str, reason: &str) -> Result<bool, AdminError> {
        self.require(OperatorAction::Release, by)?;
        let changed = self.state.set_stop("agent", agent, false, by, reason)?;
        self.record(
            "agent.released",
            json!({"agent": agent, "by": by, "reason": cap(reason), "changed": changed}),
        )
        .await;
        Ok(changed)
    }

    /// Halt the host: every call refused, in-flight calls cancelled.
    ///
    /// # Errors
    ///
    /// When `by` may not, or the state fails.
    pub async fn halt(&self, by: &str, reason: &str) -> Result<bool, AdminError> {
        self.require(OperatorAction::Halt, by)?;
        let changed = self.state.set_stop("halt", "", true, by, reason)?;
        self.record(
            "host.halted",
            json!({"by": by, "reason": cap(reason), "changed": changed}),
        )
        .await;
        Ok(changed)
    }

    /// Resume after a halt.
    ///
    /// # Errors
    ///
    /// When `by` may not, or the state fails.
    pub async fn resume(&self, by: &str, reason: &str) -> Result<bool, AdminError> {
        self.require(OperatorAction::Halt, by)?;
        let changed = self.state.set_stop("halt", "", false, by, reason)?;
        self.record(
            "host.resumed",
            json!({"by": by, "reason": cap(reason), "changed": changed}),
        )
        .await;
        Ok(changed)
    }

    /// Disable (or re-enable) a plugin.
    ///
    /// # Errors
    ///
    /// When `by` may not, or the state fails.
    pub async fn set_plugin_disabled(
        &self,
        plugin: &str,
        disabled: bool,
        by: &str,
        reason: &str,
    ) -> Result<bool, AdminError> {
        self.require(
            if disabled {
                OperatorAction::Quarantine
            } else {
                OperatorAction::Release
            },
            by,
        )?;
        let changed = self
            .state
            .set_stop("plugin", plugin, disabled, by, reason)?;
        let kind = if disabled {
            "plugin.disabled"
        } else {
            "plugin.enabled"
        };
        self.record(
            kind,
            json!({"plugin": plugin, "by": by, "reason": cap(reason), "changed": changed}),
        )
        .await;
        Ok(changed)
    }

    /// Stop buttons act even if the chain cannot be written; the failure is
    /// logged loudly.
    async fn record(&self, kind: &str, data: serde_json::Value) {
        if let Err(e) = self.audit.append(kind, data, true).await {
            tracing::error!("{kind} took effect but could not be recorded in the audit chain: {e}");
        }
    }

    /// Approval requests; only open ones unless `all`.
    ///
    /// # Errors
    ///
    /// When the state cannot be read.
    pub fn approvals(&self, all: bool) -> Result<Vec<Approval>, AdminError> {
        Ok(self.state.list_approvals(all)?)
    }

    /// Approve or deny a pending request as `by`. The approver must be
    /// allowed for the tool (or its impact level) and must not be the agent
    /// that made the call. Recorded in the chain before it takes effect.
    ///
    /// # Errors
    ///
    /// [`AdminError`] naming why the decision was refused.
    pub async fn decide(
        &self,
        id: &str,
        approve: bool,
        by: &str,
        reason: &str,
    ) -> Result<Approval, AdminError> {
        let a = self
            .state
            .approval(id)?
            .ok_or_else(|| AdminError::Invalid(format!("no approval request {id}")))?;
        if by == a.agent {
            return Err(AdminError::NotApprover(format!(
                "{by} is the agent that made the call; an agent never approves its own calls"
            )));
        }
        let approvers = approvers_for(&self.config, &a.tool, &a.impact);
        if !approvers.iter().any(|x| x == by) {
            return Err(AdminError::NotApprover(format!(
                "{by} may not approve {} ({} impact); approvers: {}",
                a.tool,
                a.impact,
                if approvers.is_empty() {
                    "none configured".into()
                } else {
                    approvers.join(", ")
                }
            )));
        }
        if a.status != ApprovalStatus::Pending || a.expired(now_ms()) {
            return Err(AdminError::Invalid(format!(
                "approval {id} is {}, not pending",
                a.shown_status(now_ms())
            )));
        }
        let kind = if approve {
            "approval.approved"
        } else {
            "approval.denied"
        };
        self.audit
            .append(kind, json!({"approval_id": id, "agent": a.agent, "task": a.task, "tool": a.tool, "args_digest": a.args_digest, "by": by, "reason": cap(reason)}), true)
            .await?;
        self.state
            .decide_approval(id, approve, by, reason)?
            .ok_or_else(|| {
                AdminError::Invalid(format!("approval {id} was decided or expired meanwhile"))
            })
    }
}
