//! The book (`host/docs/`) and the README are checked like code: every link
//! inside them resolves, every page is in the book's summary, the README
//! stays short, and the reference pages cannot drift from the code — the
//! audit format names the version written and every record kind, the
//! troubleshooting page every refusal and failure, the threat model only
//! tests that exist.

mod links;
mod reference;
mod snippets;

use std::path::{Path, PathBuf};

use warrant::audit::{Event, FORMAT_VERSION};

/// The repository's root.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A page of the book.
pub(crate) fn page(name: &str) -> String {
    let p = root().join("host/docs").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The names a `match self { Self::X => "name", … }` in `fn_sig` of a
/// source file returns: the code's own list, read where it is written.
fn names_returned(file: &str, fn_sig: &str) -> Vec<String> {
    let src = std::fs::read_to_string(root().join(file)).expect("source file");
    let start = src
        .find(fn_sig)
        .unwrap_or_else(|| panic!("{fn_sig} in {file}"));
    let body = &src[start..];
    let end = body.find("\n    }\n").expect("the function's end");
    body[..end]
        .split("=> \"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn the_readme_is_short_and_points_into_the_book() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let lines = readme.lines().count();
    assert!(
        lines <= 250,
        "README.md has {lines} lines; the book holds the rest (at most 250)"
    );
    assert!(
        readme.contains("host/docs/build.sh"),
        "the README names the command that builds the book"
    );
    assert!(
        readme.contains("host/docs/SUMMARY.md"),
        "the README links the book's contents"
    );
}

#[test]
fn the_audit_format_page_names_the_version_written_and_every_record_kind() {
    let doc = page("audit-format.md");
    let title = doc.lines().next().unwrap_or_default();
    assert!(
        title.ends_with(&format!("version {FORMAT_VERSION}")),
        "audit-format.md's title names version {FORMAT_VERSION}: {title}"
    );
    assert!(
        doc.contains(&format!("| {FORMAT_VERSION} |")),
        "the versions table has a row for version {FORMAT_VERSION}"
    );
    let missing: Vec<_> = Event::KINDS
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "audit-format.md does not describe {missing:?}"
    );
}

#[test]
fn troubleshooting_lists_every_refusal_and_failure_the_code_can_record() {
    let doc = page("troubleshooting.md");
    let layers = names_returned("host/src/authz/refusal.rs", "pub fn layer(&self)");
    let failures = names_returned("host/src/sandbox/error.rs", "pub fn kind(&self)");
    assert!(
        layers.len() > 10 && failures.len() > 10,
        "{layers:?} {failures:?}"
    );
    let missing: Vec<_> = layers
        .iter()
        .chain(&failures)
        .filter(|n| !doc.contains(&format!("| `{n}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "troubleshooting.md has no row for {missing:?}"
    );
}

#[test]
fn every_test_the_threat_model_names_exists() {
    let doc = page("threat-model.md");
    let tests = root().join("tests/tests/all");
    let mut named = 0;
    let mut missing = Vec::new();
    for path in doc
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| s.contains("::"))
    {
        let parts: Vec<&str> = path.split("::").collect();
        let (func, modules) = parts.split_last().expect("a path");
        let base = modules.iter().fold(tests.clone(), |p, m| p.join(m));
        let src = [base.with_extension("rs"), base.join("mod.rs")]
            .iter()
            .find_map(|f| std::fs::read_to_string(f).ok())
            .unwrap_or_default();
        named += 1;
        if !src.contains(&format!("fn {func}(")) {
            missing.push(path.to_owned());
        }
    }
    assert!(named > 30, "the threat model names its tests ({named})");
    assert!(
        missing.is_empty(),
        "threat-model.md names tests that do not exist: {missing:?}"
    );
}

#[test]
fn every_command_points_at_a_page_of_the_book_that_exists() {
    let cmd = warrant::cli::book::command();
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .filter(|n| n != "help")
        .collect();
    for name in &names {
        let page = warrant::cli::book::page(name)
            .unwrap_or_else(|| panic!("`warrant {name}` has no page of the book"));
        assert!(
            root().join("host/docs").join(page).exists(),
            "`warrant {name}` points at {page}, which does not exist"
        );
        let help = cmd
            .clone()
            .find_subcommand_mut(name)
            .expect("the subcommand")
            .render_help()
            .to_string();
        assert!(
            help.contains(page),
            "`warrant {name} --help` names {page}: {help}"
        );
    }
    assert!(names.len() > 20, "{names:?}");
}
