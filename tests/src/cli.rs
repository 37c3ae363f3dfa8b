//! The `warrant` CLI as a second process in tests and benchmarks.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set (to `1`) in the environment of a binary that embeds the CLI
/// ([`embed_cli`]) when it is started to act as the CLI.
pub const EMBEDDED_CLI_ENV: &str = "WARRANT_TESTS_RUN_AS_CLI";

static EMBEDS_CLI: AtomicBool = AtomicBool::new(false);

/// Called first by a binary (`warrant-bench`) that also acts as the
/// `warrant` CLI when started with [`EMBEDDED_CLI_ENV`] set: fixtures then
/// run the CLI as that binary, so it needs no other build. Returns the
/// CLI's exit code when this process was started as the CLI.
pub fn embed_cli() -> Option<std::process::ExitCode> {
    if std::env::var_os(EMBEDDED_CLI_ENV).is_some() {
        return Some(warrant::cli::main());
    }
    EMBEDS_CLI.store(true, Ordering::SeqCst);
    None
}

/// The `warrant` CLI as a second process: this binary itself when it
/// embeds the CLI, else the test build `warrant-test-cli` next to the
/// running executable (`target/<profile>/` or its `deps/`).
///
/// # Panics
///
/// When neither is there, naming the command that builds it.
pub fn cli_path() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    if EMBEDS_CLI.load(Ordering::SeqCst) {
        return exe;
    }
    let mut dir = exe.parent().expect("exe has a directory").to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let cli = dir.join("warrant-test-cli");
    assert!(
        cli.exists(),
        "the warrant CLI is missing: {} does not exist; build it with `cargo build -p warrant-tests --bin warrant-test-cli` (add --release for a release build)",
        cli.display()
    );
    cli
}

/// Whether this binary acts as the CLI for its fixtures.
pub fn embeds_cli() -> bool {
    EMBEDS_CLI.load(Ordering::SeqCst)
}
