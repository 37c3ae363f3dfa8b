//! The author's side: filling in a manifest from its component and signing
//! it.

use std::path::Path;

use crate::keys::KeyFile;
use crate::manifest::{self, Manifest, ManifestTerms, ManifestTool, VerifyError};
use crate::sandbox::{Capabilities, LoadError, Sandbox};

/// Why a manifest could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The manifest or component could not be read.
    #[error(transparent)]
    Manifest(#[from] VerifyError),
    /// The component could not be loaded for review: what a host would
    /// refuse.
    #[error("the component cannot be loaded: {0}")]
    Component(LoadError),
    /// The key file is unusable.
    #[error("key: {0}")]
    Key(#[from] crate::keys::KeyError),
    /// The manifest leaves something for the author to decide.
    #[error("{0}")]
    Incomplete(String),
}

impl From<LoadError> for SignError {
    fn from(e: LoadError) -> Self {
        Self::Component(e)
    }
}

/// What signing did.
#[derive(Debug)]
pub struct Signed {
    /// The signed manifest.
    pub manifest: Manifest,
    /// Changes made to the manifest, in words.
    pub changes: Vec<String>,
}

/// Fill in the component's digest and the tools it reports (keeping the
/// manifest's action owners), then sign with `key`.
///
/// # Errors
///
/// [`SignError`] naming what is missing or unreadable. A tool the component
/// reports that the manifest does not list yet needs an `action-owner`
/// chosen by the author, so signing stops and says so.
pub async fn sign_manifest(
    path: &Path,
    key: &KeyFile,
    sandbox: &Sandbox,
) -> Result<Signed, SignError> {
    let text = std::fs::read_to_string(path).map_err(|e| VerifyError::Read {
        path: path.to_owned(),
        why: e.to_string(),
    })?;
    let mut m = Manifest::from_toml_draft(&text).map_err(|error| VerifyError::Parse {
        path: path.to_owned(),
        error,
    })?;
    let signing = key.signing_key()?;
    let cpath = manifest::component_path(path, &m);
    let bytes = std::fs::read(&cpath).map_err(|e| VerifyError::Component {
        path: path.to_owned(),
        component: cpath.clone(),
        why: e.to_string(),
    })?;
    let mut changes = Vec::new();
    let digest = format!("sha256:{}", crate::keys::sha256_hex(&bytes));
    if m.plugin.digest.as_deref() != Some(digest.as_str()) {
        changes.push(format!("digest set to {digest}"));
        m.plugin.digest = Some(digest);
    }
    // The grants and limits as the manifest asks for them; the tools are
    // still the draft's, so they are left out of this check.
    let terms = Manifest {
        tools: Vec::new(),
        ..m.clone()
    }
    .validate()
    .map_err(|error| VerifyError::Parse {
        path: path.to_owned(),
        error,
    })?;
    let caps = requested_capabilities(path, &m, &terms);
    let reported = sandbox.review(&bytes, &caps).await?;
    let mut tools = Vec::new();
    for t in reported.tools() {
        let owner = match m.tools.iter().find(|x| x.name == t.name) {
            Some(existing) => existing.action_owner.clone(),
            None => {
                return Err(SignError::Incomplete(format!(
                    "the component reports tool `{}`, which the manifest does not list: add\n\n[[tools]]\nname = {:?}\naction-owner = \"<who answers for its actions>\"\ndescription = \"\"\nimpact = \"{}\"\ninput-schema = \"{{}}\"\n\nthen sign again (description, impact and schema are filled in from the component)",
                    t.name, t.name, t.impact
                )));
            }
        };
        let new = ManifestTool {
            name: t.name.clone(),
            description: t.description.clone(),
            impact: t.impact,
            action_owner: owner,
            input_schema: t.input_schema.clone(),
            output_schema: t.output_schema.clone(),
        };
        if m.tools.iter().find(|x| x.name == t.name) != Some(&new) {
            changes.push(format!("tool `{}` updated from the component", t.name));
        }
        tools.push(new);
    }
    for old in &m.tools {
        if tools.iter().all(|t| t.name != old.name) {
            changes.push(format!(
                "tool `{}` removed: the component no longer reports it",
                old.name
            ));
        }
    }
    m.tools = tools;
    m.validate()
        .map_err(|e| SignError::Incomplete(e.to_string()))?;
    manifest::sign(&mut m, &key.id, &signing);
    changes.push(format!(
        "signed with key {} ({})",
        key.id,
        signing.algorithm()
    ));
    Ok(Signed {
        manifest: m,
        changes,
    })
}

/// The capabilities a manifest asks for, as a host would grant them with no
/// operator settings: its directories where the manifest places them
/// (relative to the manifest), its variables with empty values, no secret
/// or credential values, its origins, clock, randomness and limits. For checks and reviews before
/// a host is involved (`warrant sign`, `warrant inspect`, `warrant dev`).
pub fn requested_capabilities(path: &Path, m: &Manifest, terms: &ManifestTerms) -> Capabilities {
    let dir = path.parent().unwrap_or(Path::new("."));
    Capabilities::requested(&m.grants, &terms.grants, dir, terms.limits)
}
