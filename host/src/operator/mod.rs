//! Operator actions over the shared state: task tokens, stop buttons,
//! approvals, version resets, reloads. Every action arrives signed with the
//! operator's own key ([`SignedAction`]); it is verified against the
//! operator's public key in the host config, checked for the operator's
//! role, refused if replayed or stale, and recorded in the audit chain with
//! its signature. No path believes a bare name. Nothing here loads plugins,
//! so the CLI answers at once, with or without a server running. (Their
//! HTTP routes are `api::operator_api`.)

mod approvals;
mod auth;
pub mod rules;
mod session_store;
mod sessions;
mod signer;
mod stops;
mod tokens;

use std::sync::Arc;

use crate::audit::event::Event;
use crate::audit::{AuditError, AuditKeys, AuditLog, AuditOptions};
use crate::authz::{IssueError, Issuer};
use crate::config::HostConfig;
use crate::keys::SignedAction;
use crate::state::{PostgresConfig, PostgresState, SharedState, SqliteState, StateError};
use crate::statedir::{StateDir, StateDirError};

pub use session_store::Sessions;
pub(crate) use sessions::VerifiedLogin;
pub use sessions::{LoginGrant, Session, session_key};
pub use signer::OperatorSigner;
pub use stops::Stop;
pub use tokens::{Rotated, rotate_token_key};

/// Why an operator action was refused. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// The signature, the key or the operator did not check out.
    #[error("not authenticated: {0}")]
    Unauthenticated(String),
    /// The action was seen before.
    #[error("refused: this signed action was used before (nonce {0}); sign a new one")]
    Replayed(String),
    /// The action was signed for another host or fleet.
    #[error(
        "refused: the action was signed for {signed}, not for this {here_kind} ({here}); sign it for {here}"
    )]
    WrongAudience {
        /// The audience it names.
        signed: String,
        /// This host's or fleet's id.
        here: String,
        /// `host` or `fleet`.
        here_kind: &'static str,
    },
    /// The action's time is too far from now.
    #[error(
        "refused: the action was signed at {signed}, more than {max_age_s} s from this host's clock; sign a new one"
    )]
    Stale {
        /// When it was signed (RFC 3339).
        signed: String,
        /// The allowed distance, in seconds.
        max_age_s: i64,
    },
    /// The signed action is not the action asked for.
    #[error("refused: the signed action is {signed}, not {asked}")]
    Mismatch {
        /// What was signed.
        signed: String,
        /// What was asked.
        asked: String,
    },
    /// The operator may not take this action.
    #[error("{who} may not {action}: the role `{role}` is not theirs in {config}")]
    NotPermitted {
        /// The operator.
        who: String,
        /// The action.
        action: String,
        /// The role that would allow it.
        role: &'static str,
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
    /// The rules in force.
    #[error(transparent)]
    Rules(#[from] rules::RulesError),
}

/// Operator actions on one host's state. Cheap to clone.
#[derive(Debug, Clone)]
pub struct OperatorActions {
    config: Arc<HostConfig>,
    state: Arc<dyn SharedState>,
    audit: Arc<AuditLog>,
    issuer: Issuer,
    sessions: Arc<Sessions>,
    /// The audience signed actions must name, once known.
    audience: Arc<tokio::sync::OnceCell<String>>,
    /// The release of the rules these actions are taken under.
    release: Option<crate::governance::ReleaseRef>,
}

impl OperatorActions {
    /// Open the state and audit chain of `config` (as read from its
    /// files), under the release of the rules in force there — never the
    /// files' own rules when they differ (then it warns).
    ///
    /// # Errors
    ///
    /// When the state directory, the state or the audit chain cannot be
    /// used, or no release of the rules is in force.
    pub async fn open(config: HostConfig) -> Result<Self, OperatorError> {
        let dir = StateDir::create(&config.state_dir)?;
        let state = open_state(&config, &dir)?;
        let keys = AuditKeys::load_or_create(&dir)?;
        let audit = Arc::new(AuditLog::open(
            &config.audit.dir,
            keys.clone(),
            AuditOptions {
                reserve: config.audit.reserve,
                segment_bytes: config.audit.segment_size,
                segment_age: config.audit.segment_age,
                retain: config.audit.retain,
                archive: config.audit.archive.clone(),
                witness: config.audit.witness.clone(),
                host_id: Some(keys.host_id()),
                ..AuditOptions::default()
            },
        )?);
        let keeper = rules::Keeper::new(state.as_ref(), &audit, &config.audit.dir)?;
        let governed = rules::in_force(&config, &keeper, rules::Look::Command).await?;
        drop(keeper);
        Ok(Self::with(Arc::new(governed.config), &dir, state, audit)?.under(governed.release))
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
            sessions: Arc::default(),
            audience: Arc::default(),
            release: None,
        })
    }

    /// These actions, taken under `release` (named in their records).
    #[must_use]
    pub fn under(mut self, release: crate::governance::ReleaseRef) -> Self {
        self.release = Some(release);
        self
    }

    /// The release of the rules these actions are taken under.
    pub fn release(&self) -> Option<&crate::governance::ReleaseRef> {
        self.release.as_ref()
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

    /// Who signed actions on this state are for — the audience every one
    /// must name: the fleet's id when the state is a fleet's shared
    /// database, else this host's id. An action signed for one host (or
    /// fleet) is refused by every other, even with the same operators.
    ///
    /// # Errors
    ///
    /// When the fleet's id cannot be read, or this chain has no host id.
    pub async fn audience(&self) -> Result<String, OperatorError> {
        self.audience
            .get_or_try_init(|| async {
                if let Some(f) = self.state.fleet() {
                    return Ok(f.fleet_id().await?);
                }
                self.audit.host_id().map(str::to_owned).ok_or_else(|| {
                    OperatorError::Invalid("this host's audit chain has no host id".into())
                })
            })
            .await
            .cloned()
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

/// The shared state `config` names: its PostgreSQL database, or SQLite in
/// the state directory.
///
/// # Errors
///
/// When the database cannot be opened.
pub fn open_state(config: &HostConfig, dir: &StateDir) -> Result<Arc<dyn SharedState>, StateError> {
    Ok(match &config.state.postgres {
        // Every operation bounded: a silent database fails a call instead of
        // holding it.
        Some(p) => Arc::new(crate::state::Bounded::new(
            Arc::new(PostgresState::open(&PostgresConfig {
                url: p.url.clone(),
                password: p.password.clone(),
                tls: p.tls,
                ca_files: p.ca_files.clone(),
                pool: p.pool,
            })?),
            std::time::Duration::from_secs(5),
        )),
        None => Arc::new(SqliteState::open(&dir.db_path())?),
    })
}

/// The signed action a record keeps.
fn kept(s: &SignedAction) -> Option<SignedAction> {
    Some(s.clone())
}
