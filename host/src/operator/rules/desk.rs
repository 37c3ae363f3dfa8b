//! Working on the rules from one process: the files, and the state and
//! chain they name, opened together — what `warrant config …`, the demo
//! and the tests review, sign and apply releases with.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::audit::{AuditKeys, AuditLog, AuditOptions};
use crate::config::HostConfig;
use crate::governance::ReleaseRef;
use crate::keys::read_key_file;
use crate::operator::OperatorError;
use crate::operator::rules::{Keeper, RulesError};
use crate::state::SharedState;
use crate::statedir::StateDir;

/// The files, and the state and chain they name.
#[derive(Debug)]
pub struct RulesDesk {
    /// The config as read from its files.
    pub files: HostConfig,
    state: Arc<dyn SharedState>,
    audit: AuditLog,
}

impl RulesDesk {
    /// Open the state and chain the config at `path` names.
    ///
    /// # Ambient Authority
    ///
    /// Reads `path`, which the operator names.
    ///
    /// # Errors
    ///
    /// When the config, the state or the chain cannot be used.
    pub fn open(path: &Path) -> Result<Self, OperatorError> {
        let files = HostConfig::load(path).map_err(|e| OperatorError::Invalid(e.to_string()))?;
        let dir = StateDir::create(&files.state_dir)?;
        let state = crate::operator::open_state(&files, &dir)?;
        let keys = AuditKeys::load_or_create(&dir)?;
        let audit = AuditLog::open(
            &files.audit.dir,
            keys.clone(),
            AuditOptions {
                reserve: files.audit.reserve,
                segment_bytes: files.audit.segment_size,
                segment_age: files.audit.segment_age,
                retain: files.audit.retain,
                archive: files.audit.archive.clone(),
                witness: files.audit.witness.clone(),
                host_id: Some(keys.host_id()),
                ..AuditOptions::default()
            },
        )?;
        Ok(Self {
            files,
            state,
            audit,
        })
    }

    /// The keeper of the rules on this state and chain.
    ///
    /// # Errors
    ///
    /// When the chain's release archive cannot be opened.
    pub fn keeper(&self) -> Result<Keeper<'_>, RulesError> {
        Keeper::new(self.state.as_ref(), &self.audit, &self.files.audit.dir)
    }

    /// Sign the release the files make with each governor key file in
    /// `keys` and apply it: what the demo and the tests do with example
    /// governors (a real deployment's governors sign on their own
    /// machines). The release now in force.
    ///
    /// # Errors
    ///
    /// When a key is no governor's, or the release is refused.
    pub async fn sign_and_apply(&self, keys: &[PathBuf]) -> Result<ReleaseRef, RulesError> {
        let keeper = self.keeper()?;
        let c = keeper.candidate(&self.files).await?;
        if let Some(current) = c.current.as_ref().filter(|_| c.unchanged) {
            return Ok(current.reference());
        }
        for k in keys {
            let key = read_key_file(k).map_err(|e| RulesError::Audit(e.to_string()))?;
            keeper.sign(&self.files, &key).await?;
        }
        keeper.apply(&self.files, &[], "apply").await
    }
}

impl Drop for RulesDesk {
    fn drop(&mut self) {
        self.audit.close();
    }
}
