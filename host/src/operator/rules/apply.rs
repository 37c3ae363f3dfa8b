//! Putting a release in force: the quorum it needs, storing and archiving
//! it, recording it — and recording a refusal.

use crate::audit::event::{ConfigApplied, ConfigRefused, Event};
use crate::config::{Governance, GovernanceMode};
use crate::governance::{Release, ReleaseSignature, diff, quorum};
use crate::operator::rules::lineage::Step;
use crate::operator::rules::{Contents, Keeper, RulesError};
use crate::state::{StoredRelease, now_ms};

/// Changes kept in a record (the rest are counted by the last line).
const MAX_CHANGES: usize = 64;

impl Keeper<'_> {
    /// The governors who decide whether `candidate` follows `current`:
    /// those in force — or, for the first release, and for the first
    /// signed release after unsigned ones, the candidate's own.
    pub(crate) fn decider(
        &self,
        current: Option<&Release>,
        candidate: &Release,
    ) -> Result<Governance, RulesError> {
        match current.map(|c| self.governance(c)).transpose()? {
            Some(g) if g.mode == GovernanceMode::Signed => Ok(g),
            _ => self.governance(candidate),
        }
    }

    /// Put `candidate` in force after `current` with the signatures
    /// gathered for it (and `extra`), if they make the quorum: stored in
    /// the shared state (every host reloads) and archived here. The
    /// caller's [`Keeper::catch_up`] records it.
    ///
    /// # Errors
    ///
    /// [`RulesError::Refused`] saying why it does not take effect.
    pub(crate) async fn take(
        &self,
        current: Option<&Release>,
        candidate: &Release,
        contents: &Contents,
        extra: &[ReleaseSignature],
        _trigger: &str,
    ) -> Result<(), RulesError> {
        let digest = candidate.digest();
        let refused = |why: String| RulesError::Refused {
            version: candidate.version,
            digest: digest.clone(),
            why,
        };
        if let Some(c) = current
            && (candidate.version != c.version + 1
                || candidate.previous.as_deref() != Some(c.digest().as_str()))
        {
            return Err(refused(format!(
                "it does not follow the release in force ({}): a release follows the one in force, by one version",
                c.reference()
            )));
        }
        for (d, bytes) in contents {
            self.archive.put_file(d, bytes)?;
        }
        let decider = self.decider(current, candidate)?;
        let changes = diff(current, candidate, &|d| self.text(d));
        let mut signatures = self.gathered(&digest).await?;
        signatures.extend(extra.iter().cloned());
        let q = quorum(&decider, &digest, &signatures, changes.narrows_only());
        if !q.met() {
            let names: Vec<&str> = decider.governors.iter().map(|g| g.name.as_str()).collect();
            return Err(refused(format!(
                "it needs the signatures of {} of the governors [{}]{}; it has {}{}{}",
                q.needed,
                names.join(", "),
                if q.narrowing {
                    " (it only narrows authority)"
                } else {
                    ""
                },
                q.signers.len(),
                if q.signers.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", q.signers.join(", "))
                },
                if q.rejected.is_empty() {
                    String::new()
                } else {
                    format!("; not counted: {}", q.rejected.join("; "))
                }
            )));
        }
        let stored = StoredRelease {
            version: candidate.version,
            digest: digest.clone(),
            doc: candidate.canonical(),
            signatures: serde_json::to_string(&q.valid).unwrap_or_else(|_| "[]".into()),
            applied_ms: now_ms(),
        };
        let files: Vec<(String, Vec<u8>)> = contents
            .iter()
            .map(|(d, b)| (d.clone(), b.clone()))
            .collect();
        if !self.state.put_release(&stored, &files).await? {
            // Another process (a host reloading with the signatures
            // gathered) put exactly this release in force first.
            if self
                .state
                .release_in_force()
                .await?
                .is_some_and(|s| s.digest == digest)
            {
                self.archive.put_release(&digest, &stored.doc)?;
                return Ok(());
            }
            return Err(refused(format!(
                "another release {} took effect first: read the rules in force again",
                candidate.version
            )));
        }
        self.archive.put_release(&digest, &stored.doc)?;
        tracing::info!(
            "release {} of the rules is in force ({digest}){}",
            candidate.version,
            if q.signers.is_empty() {
                " — unsigned (development mode)".to_owned()
            } else {
                format!(", signed by {}", q.signers.join(", "))
            }
        );
        Ok(())
    }

    /// Record that `candidate` was refused (once per candidate when this
    /// keeper remembers).
    pub(crate) async fn refuse(
        &self,
        current: Option<&Release>,
        candidate: &Release,
        why: &str,
        trigger: &str,
    ) {
        let digest = candidate.digest();
        if let Some(m) = self.refused {
            let mut last = m.lock().unwrap_or_else(|p| p.into_inner());
            if last.as_deref() == Some(digest.as_str()) {
                return;
            }
            *last = Some(digest.clone());
        }
        let changes = diff(current, candidate, &|d| self.text(d));
        let signers = match self.decider(current, candidate) {
            Ok(g) => {
                let sigs = self.gathered(&digest).await.unwrap_or_default();
                quorum(&g, &digest, &sigs, changes.narrows_only()).signers
            }
            Err(_) => Vec::new(),
        };
        let event = Event::ConfigRefused(Box::new(ConfigRefused {
            version: candidate.version,
            digest,
            in_force: current.map(Release::reference),
            reason: crate::vocab::cap(why),
            signers,
            changes: capped(changes.lines()),
            trigger: trigger.to_owned(),
        }));
        if let Err(e) = self.audit.append(&event, true).await {
            tracing::error!("a refused release could not be recorded: {e}");
        }
    }

    /// Record in this chain every release up to `release` that it has not
    /// recorded yet — applied here, or elsewhere in the fleet — each with
    /// its signatures and what it changed, each checked again first
    /// ([`Keeper::lineage`]).
    ///
    /// # Errors
    ///
    /// [`RulesError::Refused`] for a release that does not check; when
    /// the state, the archive or the chain fails.
    pub(crate) async fn catch_up(
        &self,
        release: &Release,
        trigger: &str,
    ) -> Result<(), RulesError> {
        for step in self.lineage(release).await? {
            let Step {
                stored,
                release: r,
                changes,
                mode,
                quorum: q,
            } = step;
            let event = Event::ConfigApplied(Box::new(ConfigApplied {
                version: r.version,
                digest: stored.digest.clone(),
                previous: r.previous.clone(),
                mode: mode.as_str().to_owned(),
                signatures: q.valid,
                signers: q.signers,
                narrowing: q.narrowing,
                changes: capped(changes),
                trigger: if r.version == release.version {
                    trigger.to_owned()
                } else {
                    "fleet".to_owned()
                },
            }));
            self.audit.append(&event, true).await?;
            self.archive.set_current(&stored.digest)?;
        }
        Ok(())
    }
}

fn capped(mut lines: Vec<String>) -> Vec<String> {
    if lines.len() > MAX_CHANGES {
        let more = lines.len() - MAX_CHANGES;
        lines.truncate(MAX_CHANGES);
        lines.push(format!("… and {more} more changes"));
    }
    lines
        .into_iter()
        .map(|l| crate::vocab::cap_at(&l, 4096))
        .collect()
}
