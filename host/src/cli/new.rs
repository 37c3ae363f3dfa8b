//! `warrant new`

use std::path::PathBuf;
use std::process::ExitCode;

use crate::authoring::{Lang, new_project};

/// Make a new tool project: `warrant new NAME --lang rust|python|ts`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plugin id (a-z, 0-9, '-'), also the project's directory name.
    pub name: String,
    /// The language: rust, python or ts (TypeScript; JavaScript works too).
    #[arg(long, default_value = "rust")]
    pub lang: Lang,
    /// Where to make the project (default: ./NAME).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The publisher named in the manifest.
    #[arg(long, default_value = "example-publisher")]
    pub publisher: String,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let dir = a.dir.unwrap_or_else(|| PathBuf::from(&a.name));
    let files = new_project(&dir, &a.name, a.lang, &a.publisher)?;
    out!(
        "made {} ({}, {} files): the tool `lookup`, granted one HTTP origin and nothing else",
        dir.display(),
        a.lang.title(),
        files.len()
    );
    let needs = match a.lang {
        Lang::Rust => "Rust with `rustup target add wasm32-wasip2`",
        Lang::Python => "Python 3.11+ (componentize-py is installed into .venv from PyPI)",
        Lang::Ts => "Node 20+ and npm (jco and componentize-js are installed from npm)",
    };
    out!("\nnext (needs {needs}):");
    out!("  cd {}", dir.display());
    out!("  ./build.sh                  # build/{}.wasm", a.name);
    out!("  warrant test                # the cases in tests.toml, in the host's sandbox");
    out!("  warrant dev call lookup --input '{{\"indicator\":\"203.0.113.7\"}}'");
    out!("  warrant sign manifest.toml --key KEY   # then an operator trusts your key");
    Ok(ExitCode::SUCCESS)
}
