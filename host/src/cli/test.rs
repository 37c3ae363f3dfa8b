//! `warrant test`

use std::path::PathBuf;
use std::process::ExitCode;

use crate::authoring::{DevOptions, DevSession, HttpMode, Project, TestCases, run_cases};
use crate::vocab::{Span, safe};

/// Run the project's test cases against its built component.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project directory, or its manifest.
    #[arg(long, short = 'p', default_value = ".")]
    pub project: PathBuf,
    /// The cases file (default: tests.toml in the project).
    #[arg(long)]
    pub cases: Option<PathBuf>,
    /// Send HTTP to the real origins instead of the stub (fixtures/http).
    #[arg(long)]
    pub real_http: bool,
    /// The compiled-component cache (default: build/cache in the project).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    let project = Project::open(&a.project)?;
    let cases = TestCases::read(&a.cases.unwrap_or_else(|| project.cases_path()))?;
    let opts = DevOptions {
        http: if a.real_http {
            HttpMode::Real
        } else {
            HttpMode::Stub
        },
        cache_dir: a.cache_dir,
        ..DevOptions::default()
    };
    let session = DevSession::open(&project, opts).await?;
    let results = run_cases(&session, &cases).await?;
    let failed = results.iter().filter(|r| !r.passed()).count();
    for r in &results {
        if r.passed() {
            out!("ok      {} ({})", safe(&r.name), Span(r.duration));
        } else {
            out!("FAILED  {}", safe(&r.name));
            for p in &r.problems {
                out!("        {}", safe(p));
            }
        }
    }
    out!(
        "\n{} passed, {failed} failed — {} under {} (unsigned; nothing is audited)",
        results.len() - failed,
        project.component_path().display(),
        project.manifest_path.display()
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
