//! A tool project on disk: its manifest (signed or not), its component,
//! its fixtures and its test cases.

use std::path::{Path, PathBuf};

use crate::authoring::AuthoringError;
use crate::manifest::{self, Manifest, ManifestTerms, VerifyError};

/// A project: `manifest.toml`, the component it names, `fixtures/` and
/// `tests.toml`, all relative to the project directory.
#[derive(Debug, Clone)]
pub struct Project {
    /// The project directory.
    pub dir: PathBuf,
    /// The manifest file.
    pub manifest_path: PathBuf,
    /// The manifest, as written (unsigned is fine; its tools may still be
    /// placeholders for `warrant sign` to fill in).
    pub manifest: Manifest,
    /// What the manifest's grants and limits mean.
    pub terms: ManifestTerms,
}

impl Project {
    /// Open the project in `path`: a directory holding `manifest.toml`, or
    /// a manifest file itself.
    ///
    /// # Ambient Authority
    ///
    /// Reads the manifest at a path the author names.
    ///
    /// # Errors
    ///
    /// [`AuthoringError`] when there is no manifest or it cannot be read.
    pub fn open(path: &Path) -> Result<Self, AuthoringError> {
        let (dir, manifest_path) = if path.is_dir() {
            (path.to_owned(), path.join("manifest.toml"))
        } else {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_owned();
            (dir, path.to_owned())
        };
        if !manifest_path.is_file() {
            return Err(AuthoringError::project(
                &manifest_path,
                "no manifest here: run this in a project made by `warrant new`, or pass --project",
            ));
        }
        let text = std::fs::read_to_string(&manifest_path).map_err(|e| VerifyError::Read {
            path: manifest_path.clone(),
            why: e.to_string(),
        })?;
        let parse = |error| VerifyError::Parse {
            path: manifest_path.clone(),
            error,
        };
        let manifest = Manifest::from_toml_draft(&text).map_err(parse)?;
        // The tools may still be placeholders: check everything else.
        let terms = Manifest {
            tools: Vec::new(),
            ..manifest.clone()
        }
        .validate()
        .map_err(parse)?;
        Ok(Self {
            dir,
            manifest_path,
            manifest,
            terms,
        })
    }

    /// The component file the manifest names.
    pub fn component_path(&self) -> PathBuf {
        manifest::component_path(&self.manifest_path, &self.manifest)
    }

    /// The component's bytes.
    ///
    /// # Errors
    ///
    /// [`AuthoringError::Project`] when it is not built yet.
    pub fn component(&self) -> Result<Vec<u8>, AuthoringError> {
        let path = self.component_path();
        std::fs::read(&path).map_err(|e| {
            AuthoringError::project(
                &path,
                format!("{e}; build the component first (./build.sh)"),
            )
        })
    }

    /// `fixtures/` in the project.
    pub fn fixtures(&self) -> PathBuf {
        self.dir.join("fixtures")
    }

    /// `tests.toml` in the project.
    pub fn cases_path(&self) -> PathBuf {
        self.dir.join("tests.toml")
    }
}
