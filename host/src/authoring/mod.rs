//! The author's side: a new tool project in Rust, Python or TypeScript
//! (`warrant new`), and a local harness that runs its component under its
//! unsigned manifest in the host's own sandbox (`warrant dev`, `warrant
//! test`).
//!
//! The harness is the host's sandbox, not a model of it: the component is
//! loaded by [`Sandbox::load`](crate::Sandbox::load) with the capabilities
//! its manifest asks for ([`requested_capabilities`]) and the manifest's
//! limits. Only the world around it is local: granted directories are
//! `fixtures/<guest path>` in the project, HTTP to a granted origin is
//! answered by a stub from `fixtures/http/` (or sent to the real origin),
//! variables and secrets come from the author's environment. Nothing the
//! harness does is signed or audited.
//!
//! ```no_run
//! # async fn run() -> Result<(), warrant::authoring::AuthoringError> {
//! use warrant::authoring::{DevOptions, DevSession, Project};
//!
//! let project = Project::open("my-tool".as_ref())?;
//! let dev = DevSession::open(&project, DevOptions::default()).await?;
//! let run = dev.call("lookup", r#"{"indicator":"203.0.113.7"}"#, &Default::default()).await?;
//! println!("{:?} {:?}", run.report.outcome, run.report.uses);
//! # Ok(()) }
//! ```
//!
//! [`requested_capabilities`]: crate::publish::requested_capabilities

mod cases;
mod dev;
mod new;
mod project;
mod stub;
mod templates;

use std::path::PathBuf;

pub use cases::{CaseResult, TestCases, run_cases};
pub use dev::{CallEnv, DevOptions, DevRun, DevSession, HttpMode};
pub use new::new_project;
pub use project::Project;
pub use templates::{COMPONENTIZE_JS, COMPONENTIZE_PY, JCO, PREVIEW2_SHIM};

/// A language `warrant new` makes projects in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Rust with warrant-sdk, `cargo build --target wasm32-wasip2`.
    Rust,
    /// Python with warrant_sdk, componentize-py.
    Python,
    /// TypeScript (or JavaScript) with warrant-sdk, jco + componentize-js.
    Ts,
}

impl Lang {
    /// The language's name in prose.
    pub fn title(self) -> &'static str {
        match self {
            Self::Rust => "Rust",
            Self::Python => "Python",
            Self::Ts => "TypeScript",
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "rust" | "rs" => Ok(Self::Rust),
            "python" | "py" => Ok(Self::Python),
            "ts" | "typescript" | "js" | "javascript" => Ok(Self::Ts),
            other => Err(format!(
                "unknown language {other:?}: use rust, python or ts"
            )),
        }
    }
}

/// Why an author's command could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum AuthoringError {
    /// The project directory or a file in it is unusable.
    #[error("{path}: {why}")]
    Project {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The manifest cannot be read.
    #[error(transparent)]
    Manifest(#[from] crate::manifest::VerifyError),
    /// The component cannot be loaded in the sandbox (the same refusal a
    /// host would give).
    #[error("the component cannot be loaded: {0}")]
    Load(#[from] crate::sandbox::LoadError),
    /// The test cases file is malformed.
    #[error("{path}: {why}")]
    Cases {
        /// The cases file.
        path: PathBuf,
        /// What is wrong, with the case.
        why: String,
    },
    /// The local HTTP stub could not start.
    #[error("the HTTP stub cannot start: {0}")]
    Stub(String),
}

impl AuthoringError {
    fn project(path: impl Into<PathBuf>, why: impl std::fmt::Display) -> Self {
        Self::Project {
            path: path.into(),
            why: why.to_string(),
        }
    }
}
