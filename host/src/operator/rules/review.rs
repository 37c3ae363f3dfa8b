//! Review, sign and apply: what `warrant config diff|sign|apply|status`
//! do. The candidate is always the release the files make; a governor
//! signs exactly its digest; apply hands it, with every signature
//! gathered, to the same path a starting host takes.

use crate::config::HostConfig;
use crate::governance::{Release, ReleaseDiff, ReleaseRef, ReleaseSignature, diff, quorum};
use crate::keys::{KeyFile, SigningKey};
use crate::operator::rules::{Contents, Keeper, RulesError};

/// The release the files make, against the release in force.
#[derive(Debug)]
pub struct Candidate {
    /// The candidate.
    pub release: Release,
    /// The content of its files, by digest.
    pub(crate) contents: Contents,
    /// The release in force.
    pub current: Option<Release>,
    /// What it changes.
    pub diff: ReleaseDiff,
    /// Whether it says what the release in force says.
    pub unchanged: bool,
    /// Signatures it needs, and of whom.
    pub needed: u32,
    /// The governors who decide.
    pub governors: Vec<String>,
    /// Whether the lower narrowing threshold applies.
    pub narrowing: bool,
    /// Who has signed it so far (in the shared state).
    pub signers: Vec<String>,
}

/// The rules in force and what is pending.
#[derive(Debug)]
pub struct RulesStatus {
    /// The release in force, the governors who signed it, and when.
    pub in_force: Option<(ReleaseRef, String, Vec<String>, i64)>,
    /// The candidate the files make, when it differs.
    pub candidate: Candidate,
}

impl Keeper<'_> {
    /// The candidate release of `files`.
    ///
    /// # Errors
    ///
    /// When a file cannot be read or the state fails.
    pub async fn candidate(&self, files: &HostConfig) -> Result<Candidate, RulesError> {
        let current = self.current().await?;
        let (release, contents) =
            Release::candidate(files, current.as_ref().map(Release::reference).as_ref())?;
        for (d, bytes) in &contents {
            self.archive.put_file(d, bytes)?;
        }
        let unchanged = current
            .as_ref()
            .is_some_and(|c| c.content_digest() == release.content_digest());
        let changes = diff(current.as_ref(), &release, &|d| self.text(d));
        let decider = self.decider(current.as_ref(), &release)?;
        let digest = release.digest();
        let q = quorum(
            &decider,
            &digest,
            &self.gathered(&digest).await?,
            changes.narrows_only(),
        );
        Ok(Candidate {
            needed: q.needed,
            governors: decider.governors.iter().map(|g| g.name.clone()).collect(),
            narrowing: q.narrowing,
            signers: q.signers,
            release,
            contents,
            current,
            diff: changes,
            unchanged,
        })
    }

    /// Sign the candidate of `files` with a governor's key and keep the
    /// signature in the shared state; the candidate as signed so far.
    ///
    /// # Errors
    ///
    /// When the key is not a governor's of the release in force (or of the
    /// candidate, for a first release), or the candidate changes nothing.
    pub async fn sign(
        &self,
        files: &HostConfig,
        key: &KeyFile,
    ) -> Result<(Candidate, ReleaseSignature), RulesError> {
        let c = self.candidate(files).await?;
        let refused = |why: String| RulesError::Refused {
            version: c.release.version,
            digest: c.release.digest(),
            why,
        };
        if c.unchanged {
            return Err(refused(
                "the files say what the release in force says: nothing to sign".into(),
            ));
        }
        let decider = self.decider(c.current.as_ref(), &c.release)?;
        let Some(g) = decider.governor(&key.id) else {
            return Err(refused(format!(
                "{} is no governor's key of the release that decides ({}); its governors: {}",
                key.id,
                c.current.as_ref().map_or_else(
                    || "the first release itself".to_owned(),
                    |r| r.reference().to_string()
                ),
                decider
                    .governors
                    .iter()
                    .map(|g| g.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        let SigningKey::Ed25519(sk) = key.signing_key().map_err(|e| refused(e.to_string()))? else {
            return Err(refused(format!("{} is not an Ed25519 key", key.id)));
        };
        if sk.verifying_key() != g.key {
            return Err(refused(format!(
                "the key in this file is not the public key the rules give governor {} ({})",
                g.name, g.id
            )));
        }
        let digest = c.release.digest();
        let sig = ReleaseSignature::sign(&digest, &key.id, &sk);
        self.state
            .propose(
                &digest,
                &c.release.canonical(),
                &serde_json::to_string(&sig).unwrap_or_default(),
            )
            .await?;
        let c = self.candidate(files).await?;
        Ok((c, sig))
    }

    /// Apply the candidate of `files` with the signatures gathered for it
    /// and `extra`: stored, archived, recorded — or refused and the
    /// refusal recorded.
    ///
    /// # Errors
    ///
    /// [`RulesError::Refused`] saying why.
    pub async fn apply(
        &self,
        files: &HostConfig,
        extra: &[ReleaseSignature],
        trigger: &str,
    ) -> Result<ReleaseRef, RulesError> {
        let c = self.candidate(files).await?;
        if c.unchanged {
            let r = c.current.as_ref().map(Release::reference);
            return r.ok_or_else(|| RulesError::NoRelease("nothing to apply".into()));
        }
        match self
            .take(c.current.as_ref(), &c.release, &c.contents, extra, trigger)
            .await
        {
            Ok(()) => {
                self.catch_up(&c.release, trigger).await?;
                Ok(c.release.reference())
            }
            Err(RulesError::Refused {
                version,
                digest,
                why,
            }) => {
                self.refuse(c.current.as_ref(), &c.release, &why, trigger)
                    .await;
                Err(RulesError::Refused {
                    version,
                    digest,
                    why,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Apply a release document (its files already archived here, or in
    /// the shared state) with `signatures`: what a host given a release —
    /// rather than files — does. Refused, and the refusal recorded, unless
    /// it follows the release in force with its quorum.
    ///
    /// # Errors
    ///
    /// [`RulesError::Refused`] saying why.
    pub async fn apply_document(
        &self,
        release: &Release,
        signatures: &[ReleaseSignature],
        trigger: &str,
    ) -> Result<ReleaseRef, RulesError> {
        let current = self.current().await?;
        let mut contents = Contents::new();
        for (path, digest) in &release.files {
            if path.starts_with("secret:") {
                continue;
            }
            let bytes =
                match self.archive.file(digest) {
                    Ok(b) => b,
                    Err(_) => self.state.release_file(digest).await?.ok_or_else(|| {
                        RulesError::Refused {
                            version: release.version,
                            digest: release.digest(),
                            why: format!("its file {path} ({digest}) is nowhere to be found"),
                        }
                    })?,
                };
            contents.insert(digest.clone(), bytes);
        }
        match self
            .take(current.as_ref(), release, &contents, signatures, trigger)
            .await
        {
            Ok(()) => {
                self.catch_up(release, trigger).await?;
                Ok(release.reference())
            }
            Err(RulesError::Refused {
                version,
                digest,
                why,
            }) => {
                self.refuse(current.as_ref(), release, &why, trigger).await;
                Err(RulesError::Refused {
                    version,
                    digest,
                    why,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The release in force (with its signers) and the candidate.
    ///
    /// # Errors
    ///
    /// When the state fails.
    pub async fn status(&self, files: &HostConfig) -> Result<RulesStatus, RulesError> {
        let stored = self.state.release_in_force().await?;
        let candidate = self.candidate(files).await?;
        let in_force = match (stored, &candidate.current) {
            (Some(s), Some(cur)) => {
                let sigs: Vec<ReleaseSignature> =
                    serde_json::from_str(&s.signatures).unwrap_or_default();
                let names = sigs.iter().map(|s| s.key.clone()).collect();
                let mode = self
                    .governance(cur)
                    .map(|g| g.mode.as_str())
                    .unwrap_or("unsigned");
                Some((cur.reference(), mode.to_owned(), names, s.applied_ms))
            }
            _ => None,
        };
        Ok(RulesStatus {
            in_force,
            candidate,
        })
    }
}
