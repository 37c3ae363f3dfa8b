//! The rules in force. Every process that acts as the host — `warrant
//! serve`, the demo, one-shot commands such as `token issue`, `call` or
//! `approvals approve` — runs under the release of the rules in force in
//! the shared state, never under unsigned files on disk:
//!
//! * the files are read as a *candidate* release; where they say the same
//!   as the release in force, nothing happens;
//! * in development mode (`[governance] mode = "unsigned"`, in force and in
//!   the files) a changed candidate is applied at once, as an unsigned
//!   release, recorded with its digest and changes;
//! * otherwise a changed candidate takes effect only with the quorum of
//!   signatures gathered for it (`warrant config sign`) — of the governors
//!   in force, or, for a first signed release, its own — and until then
//!   the release in force stays and the refusal is recorded;
//! * every release that takes effect is stored (the shared state, for a
//!   fleet), archived beside this chain, and recorded in it
//!   (`config.applied`, with the signatures, verifiable offline).

mod apply;
mod desk;
mod lineage;
mod review;

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::audit::{AuditError, AuditLog, ReleaseArchive};
use crate::config::{Governance, GovernanceMode, HostConfig, RuleFiles, parse_governance};
use crate::governance::{Release, ReleaseError, ReleaseRef, ReleaseSignature};
use crate::state::{SharedState, StateError, StoredRelease};

pub use desk::RulesDesk;
pub use review::{Candidate, RulesStatus};

/// The config a process runs with, and the release it comes from.
#[derive(Debug)]
pub struct InForce {
    /// The serving settings of the file, the rules of the release.
    pub config: HostConfig,
    /// The release.
    pub release: ReleaseRef,
    /// Signed or not.
    pub mode: GovernanceMode,
    /// Why the files on disk are not the rules in force, when they differ.
    pub files_differ: Option<String>,
}

/// Why the rules could not be put in force, or a release was refused.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// No release is in force and none can be.
    #[error("no release of the rules is in force: {0}")]
    NoRelease(String),
    /// A release was refused.
    #[error("release {version} ({digest}) refused: {why}")]
    Refused {
        /// Its version.
        version: u64,
        /// Its digest.
        digest: String,
        /// Why.
        why: String,
    },
    /// A release document or its files.
    #[error(transparent)]
    Release(#[from] ReleaseError),
    /// The shared state.
    #[error(transparent)]
    State(#[from] StateError),
    /// The audit chain or its archive.
    #[error("the audit chain: {0}")]
    Audit(String),
}

impl From<AuditError> for RulesError {
    fn from(e: AuditError) -> Self {
        Self::Audit(e.to_string())
    }
}

impl From<crate::audit::ArchiveError> for RulesError {
    fn from(e: crate::audit::ArchiveError) -> Self {
        Self::Audit(e.to_string())
    }
}

/// How a process came to look at the rules (recorded as the trigger).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// A server starting (records refusals).
    Start,
    /// A server reloading: `signal`, `operator`, `file-change`, `expiry`
    /// (records refusals).
    Reload(&'static str),
    /// A one-shot command: warns, records nothing refused.
    Command,
}

impl Look {
    fn trigger(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Reload(t) => t,
            Self::Command => "command",
        }
    }
}

/// Where a process keeps the rules: the shared state, its chain and the
/// chain's archive; what it refused last (so a refusal is recorded once).
pub struct Keeper<'a> {
    pub(crate) state: &'a dyn SharedState,
    pub(crate) audit: &'a AuditLog,
    pub(crate) archive: ReleaseArchive,
    pub(crate) refused: Option<&'a Mutex<Option<String>>>,
}

impl std::fmt::Debug for Keeper<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keeper").finish_non_exhaustive()
    }
}

impl<'a> Keeper<'a> {
    /// The keeper of the chain `audit` writes (its archive beside it).
    ///
    /// # Errors
    ///
    /// When the archive cannot be opened.
    pub fn new(
        state: &'a dyn SharedState,
        audit: &'a AuditLog,
        audit_dir: &std::path::Path,
    ) -> Result<Self, RulesError> {
        Ok(Self {
            state,
            audit,
            archive: ReleaseArchive::open(audit_dir)?,
            refused: None,
        })
    }

    /// Record each refusal once per candidate, in `memory`.
    pub fn recording(mut self, memory: &'a Mutex<Option<String>>) -> Self {
        self.refused = Some(memory);
        self
    }

    /// The release in force, read from the shared state (and archived
    /// here if it is not yet), with every release this process has not
    /// recorded yet checked ([`Keeper::lineage`]).
    ///
    /// # Errors
    ///
    /// When the state fails, the stored document is not a release, or a
    /// release does not check ([`RulesError::Refused`]).
    pub async fn current(&self) -> Result<Option<Release>, RulesError> {
        let Some(stored) = self.state.release_in_force().await? else {
            return Ok(None);
        };
        let release = self.archived(&stored).await?;
        // Checked from the last release this process recorded (usually
        // none to check); catch_up records what it checked.
        self.lineage(&release).await?;
        Ok(Some(release))
    }

    /// `stored`, parsed, checked and archived with its files.
    async fn archived(&self, stored: &StoredRelease) -> Result<Release, RulesError> {
        let release = Release::parse(&stored.doc)?;
        if release.digest() != stored.digest || release.version != stored.version {
            return Err(RulesError::Audit(format!(
                "the shared state's release {} does not hash to its digest",
                stored.version
            )));
        }
        self.archive
            .put_release(&stored.digest, &release.canonical())?;
        for digest in release
            .files
            .iter()
            .filter(|(p, _)| !p.starts_with("secret:"))
            .map(|(_, d)| d)
        {
            if self.archive.has_file(digest) {
                continue;
            }
            let content = self.state.release_file(digest).await?.ok_or_else(|| {
                RulesError::Audit(format!(
                    "release {} names a file ({digest}) the shared state does not hold",
                    release.version
                ))
            })?;
            self.archive.put_file(digest, &content)?;
        }
        Ok(release)
    }

    /// The governors `release` names (its key files from the archive).
    fn governance(&self, release: &Release) -> Result<Governance, RulesError> {
        parse_governance(
            &release.rules.governance,
            std::path::Path::new("."),
            &RuleFiles::Pinned {
                pins: release.files.clone(),
                archive: self.archive.files_dir(),
            },
        )
        .map_err(|why| RulesError::Refused {
            version: release.version,
            digest: release.digest(),
            why: format!("its governance: {why}"),
        })
    }

    /// The text of an archived file, for the policies' diff.
    fn text(&self, digest: &str) -> Option<String> {
        self.archive
            .file(digest)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
    }

    /// The signatures gathered for `digest` in the shared state.
    async fn gathered(&self, digest: &str) -> Result<Vec<ReleaseSignature>, RulesError> {
        Ok(self
            .state
            .proposals()
            .await?
            .into_iter()
            .filter(|p| p.digest == digest)
            .flat_map(|p| p.signatures)
            .filter_map(|s| serde_json::from_str(&s).ok())
            .collect())
    }
}

/// The files a candidate's contents are archived from.
pub(crate) type Contents = BTreeMap<String, Vec<u8>>;

/// The rules `files` (the config as read from disk) run under on this
/// state: see the module docs.
///
/// # Errors
///
/// When no release is in force and none can be applied, or the state or
/// chain fails.
pub async fn in_force(
    files: &HostConfig,
    keeper: &Keeper<'_>,
    look: Look,
) -> Result<InForce, RulesError> {
    let current = keeper.current().await?;
    let (candidate, contents) =
        Release::candidate(files, current.as_ref().map(Release::reference).as_ref())?;
    let mut files_differ = None;
    let release = match current {
        None => match keeper
            .take(None, &candidate, &contents, &[], look.trigger())
            .await
        {
            Ok(()) => candidate,
            Err(RulesError::Refused { why, .. }) => return Err(RulesError::NoRelease(why)),
            Err(e) => return Err(e),
        },
        Some(cur) if cur.content_digest() == candidate.content_digest() => cur,
        Some(cur) => match keeper
            .take(Some(&cur), &candidate, &contents, &[], look.trigger())
            .await
        {
            Ok(()) => candidate,
            Err(RulesError::Refused {
                version,
                digest,
                why,
            }) => {
                let words = format!(
                    "the files differ from the rules in force ({}): the candidate release {version} ({}) is not applied: {why}",
                    cur.reference(),
                    digest.get(..19).unwrap_or(&digest)
                );
                tracing::warn!("{words}");
                if look != Look::Command {
                    keeper
                        .refuse(Some(&cur), &candidate, &why, look.trigger())
                        .await;
                }
                files_differ = Some(words);
                cur
            }
            Err(e) => return Err(e),
        },
    };
    keeper.catch_up(&release, look.trigger()).await?;
    let mode = keeper
        .governance(&release)
        .map(|g| g.mode)
        .unwrap_or_default();
    let config = release.config(&files.file, &files.path, &keeper.archive.files_dir())?;
    Ok(InForce {
        config,
        release: release.reference(),
        mode,
        files_differ,
    })
}
