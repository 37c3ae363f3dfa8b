//! The book's snippets run: the author quick start's shell block, as
//! written, with `warrant` on `PATH`; every `warrant.toml` snippet parses
//! with the parser's own types (an unknown or renamed key fails).

use std::process::Command;

use warrant_tests::authors::componentize_py;
use warrant_tests::fixture_cli;

use super::{page, root};

/// The fenced blocks of `lang` on a page, dedented.
fn blocks(text: &str, lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for line in text.lines() {
        let t = line.trim_start();
        match current.take() {
            None if t == format!("```{lang}") => {
                current = Some((line.len() - t.len(), String::new()))
            }
            None => {}
            Some((_, body)) if t.starts_with("```") => out.push(body),
            Some((indent, mut body)) => {
                body.push_str(line.get(indent..).unwrap_or(line.trim_start()));
                body.push('\n');
                current = Some((indent, body));
            }
        }
    }
    out
}

#[test]
fn every_warrant_toml_snippet_in_the_book_parses() {
    let mut checked = 0;
    for entry in std::fs::read_dir(root().join("host/docs"))
        .expect("host/docs")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".md") {
            continue;
        }
        for block in blocks(&page(&name), "toml") {
            // Test cases (`[[case]]`) are another file's format.
            if block.trim_start().starts_with("[[case]]") {
                continue;
            }
            checked += 1;
            if let Err(e) = toml::from_str::<warrant::config::ConfigFile>(&block) {
                panic!("a warrant.toml snippet in {name} does not parse: {e}\n{block}");
            }
        }
    }
    assert!(
        checked >= 8,
        "the book's warrant.toml snippets were found ({checked})"
    );
}

#[test]
fn the_author_quick_start_runs_as_written() {
    let script = blocks(&page("author-quick-start.md"), "sh")
        .into_iter()
        .next()
        .expect("the quick start's shell block");
    assert!(
        script.contains("warrant new my-tool --lang python"),
        "{script}"
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).expect("bin");
    std::os::unix::fs::symlink(fixture_cli(), bin.join("warrant")).expect("warrant on PATH");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("sh")
        .args(["-ec", &script])
        .current_dir(tmp.path())
        .env("PATH", path)
        .env("COMPONENTIZE_PY", componentize_py())
        .env("RUST_LOG", "error")
        .output()
        .expect("sh runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        o.status.success(),
        "the author quick start failed:\n{script}\n{text}"
    );
    // What the page promises: tests pass, the dev call shows the capability
    // use, the manifest is signed.
    assert!(text.contains("passed, 0 failed"), "{text}");
    assert!(
        text.contains("http GET https://intel.example.com:443/v1/indicators/203.0.113.7"),
        "{text}"
    );
    assert!(text.contains("signed with key my-team-2026"), "{text}");
}
