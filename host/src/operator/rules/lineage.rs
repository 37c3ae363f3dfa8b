//! The lineage of the rules: every release this process has not checked
//! yet, from the last one it recorded up to the one in force, checked
//! again as the host that applied it checked it — present, following its
//! predecessor, with its quorum under the governors in force before it.
//! Nothing is in force because a row of the shared state says so: an
//! insider who can write the database but holds no governor's key cannot
//! add a release.

use crate::config::GovernanceMode;
use crate::governance::{Quorum, Release, ReleaseSignature, diff, quorum};
use crate::operator::rules::{Keeper, RulesError};
use crate::state::StoredRelease;

/// One release of the lineage, checked.
pub(crate) struct Step {
    /// As the shared state holds it.
    pub(crate) stored: StoredRelease,
    /// Parsed.
    pub(crate) release: Release,
    /// What it changed, line by line.
    pub(crate) changes: Vec<String>,
    /// The governance mode it was decided under.
    pub(crate) mode: GovernanceMode,
    /// Its signatures, counted.
    pub(crate) quorum: Quorum,
}

impl Keeper<'_> {
    /// The releases after the last one this process recorded, up to
    /// `top`, each checked.
    ///
    /// # Errors
    ///
    /// [`RulesError::Refused`] naming the first release that does not
    /// check and why; when the state or the archive fails.
    pub(crate) async fn lineage(&self, top: &Release) -> Result<Vec<Step>, RulesError> {
        let last = self.archive.current();
        if last.as_deref() == Some(top.digest().as_str()) {
            return Ok(Vec::new());
        }
        let from = match &last {
            Some(d) => self
                .archive
                .release(d)
                .ok()
                .and_then(|doc| Release::parse(&doc).ok())
                .map_or(1, |r| r.version + 1),
            None => 1,
        };
        let gap = |v: u64| RulesError::Refused {
            version: v,
            digest: String::new(),
            why: format!(
                "the shared state holds no release {v} below release {} ({}): the history of the rules has a gap",
                top.version,
                top.reference()
            ),
        };
        let mut previous: Option<Release> = match from {
            1 => None,
            v => {
                let s = self.state.release(v - 1).await?.ok_or_else(|| gap(v - 1))?;
                Some(self.archived(&s).await?)
            }
        };
        let mut steps = Vec::new();
        for v in from..=top.version {
            let stored = self.state.release(v).await?.ok_or_else(|| gap(v))?;
            let r = self.archived(&stored).await?;
            let refused = |why: String| RulesError::Refused {
                version: v,
                digest: stored.digest.clone(),
                why,
            };
            let link = previous.as_ref().map(Release::digest);
            if r.previous != link {
                return Err(refused(format!(
                    "it does not follow release {} in the shared state (it names {} before it)",
                    v.saturating_sub(1),
                    r.previous.as_deref().unwrap_or("none")
                )));
            }
            let changes = diff(previous.as_ref(), &r, &|d| self.text(d));
            let decider = self.decider(previous.as_ref(), &r)?;
            let sigs: Vec<ReleaseSignature> =
                serde_json::from_str(&stored.signatures).unwrap_or_default();
            let q = quorum(&decider, &stored.digest, &sigs, changes.narrows_only());
            if !q.met() {
                return Err(refused(format!(
                    "the shared state holds it with the signatures of {} governor(s){}; it needs {}{}",
                    q.signers.len(),
                    if q.signers.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", q.signers.join(", "))
                    },
                    q.needed,
                    if q.rejected.is_empty() {
                        String::new()
                    } else {
                        format!("; not counted: {}", q.rejected.join("; "))
                    }
                )));
            }
            steps.push(Step {
                stored,
                release: r.clone(),
                changes: changes.lines(),
                mode: decider.mode,
                quorum: q,
            });
            previous = Some(r);
        }
        Ok(steps)
    }
}
