//! `warrant dev`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;

use crate::authoring::{CallEnv, DevOptions, DevSession, HttpMode, Project};
use crate::capability::CapabilityUse;
use crate::vocab::{Span, safe};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Call one tool: `warrant dev call TOOL --input JSON`. Prints the
    /// output, every capability use, and what the sandbox refused and why.
    Call(CallArgs),
    /// List the tools the component reports.
    Tools(Common),
}

/// Where the project is and how its world is set up.
#[derive(Debug, clap::Args)]
pub struct Common {
    /// The project directory, or its manifest.
    #[arg(long, short = 'p', default_value = ".")]
    pub project: PathBuf,
    /// Send HTTP to the real origins instead of the local stub, which
    /// answers granted origins from fixtures/http/<host>/<path>(.json).
    #[arg(long, value_parser = ["stub", "real"], default_value = "stub")]
    pub http: String,
    /// Where granted directories are mapped: <DIR>/<guest path>.
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,
    /// The compiled-component cache (default: build/cache in the project).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct CallArgs {
    /// The tool.
    pub tool: String,
    /// Its input, JSON.
    #[arg(long, default_value = "{}")]
    pub input: String,
    /// A granted environment variable for this call: NAME=VALUE (else it
    /// comes from your environment).
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// A granted secret for this call: NAME=VALUE (else it comes from your
    /// environment, variable NAME).
    #[arg(long = "secret", value_name = "NAME=VALUE")]
    pub secret: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}

pub async fn run(c: Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::Tools(common) => {
            let session = open(&common).await?;
            for t in session.tools().await? {
                out!(
                    "{} [{}] — {}",
                    safe(&t.name),
                    t.impact,
                    safe(&t.description)
                );
                out!("    input: {}", safe(&t.input_schema));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Call(a) => call(a).await,
    }
}

async fn open(c: &Common) -> anyhow::Result<DevSession> {
    let project = Project::open(&c.project)?;
    eprintln!(
        "warrant dev: {} under {} — NOT signed, NOT audited; the host's sandbox, grants and limits",
        project.component_path().display(),
        project.manifest_path.display()
    );
    let opts = DevOptions {
        http: if c.http == "real" {
            HttpMode::Real
        } else {
            HttpMode::Stub
        },
        fixtures: c.fixtures.clone(),
        cache_dir: c.cache_dir.clone(),
    };
    let session = DevSession::open(&project, opts).await?;
    for note in session.notes() {
        eprintln!("  {}", safe(note));
    }
    Ok(session)
}

fn pairs(
    list: &[String],
    what: &str,
) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    list.iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| anyhow!("--{what} {p:?}: write NAME=VALUE"))
        })
        .collect()
}

async fn call(a: CallArgs) -> anyhow::Result<ExitCode> {
    let env = CallEnv {
        env: pairs(&a.env, "env")?,
        secrets: pairs(&a.secret, "secret")?,
    };
    let session = open(&a.common).await?;
    let run = session.call(&a.tool, &a.input, &env).await?;
    let r = &run.report;
    out!("call {} ({})", safe(&a.tool), Span(r.duration));
    for u in &r.uses {
        out!("  {}", describe(u));
    }
    for miss in &run.stub_misses {
        out!("  stub: no response file {}", safe(miss));
    }
    match &r.outcome {
        Ok(output) => {
            out!("output: {}", safe(output));
            Ok(ExitCode::SUCCESS)
        }
        Err(f) => {
            out!("error ({}): {}", f.kind(), safe(&f.to_string()));
            Ok(ExitCode::from(1))
        }
    }
}

fn describe(u: &CapabilityUse) -> String {
    safe(&u.show())
}
