//! Links: every relative link in the README and the book names a file that
//! exists and, with `#anchor`, a heading in it; every page of the book is
//! in its summary.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::root;

/// The Markdown files of the book (recursively) and the README.
fn pages() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("host/docs").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "md") {
                out.push(p);
            }
        }
    }
    let mut out = vec![root().join("README.md")];
    walk(&root().join("host/docs"), &mut out);
    out.sort();
    out
}

/// The text outside fenced code blocks.
fn prose(text: &str) -> String {
    let mut fence = false;
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
        } else if !fence {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The targets of `[text](target)` links and images.
fn targets(text: &str) -> Vec<String> {
    prose(text)
        .split("](")
        .skip(1)
        .filter_map(|s| s.split(')').next())
        .map(|t| t.split_whitespace().next().unwrap_or_default().to_owned())
        .collect()
}

/// The anchors of a page's headings, as GitHub and mdBook make them.
fn anchors(text: &str) -> BTreeSet<String> {
    prose(text)
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| {
            l.trim_start_matches('#')
                .trim()
                .to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect()
        })
        .collect()
}

#[test]
fn every_link_in_the_readme_and_the_book_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("page");
        for t in targets(&text) {
            if t.starts_with("http://") || t.starts_with("https://") || t.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (file, anchor) = t.split_once('#').unwrap_or((&t, ""));
            let target = if file.is_empty() {
                page.clone()
            } else {
                page.parent().expect("a dir").join(file)
            };
            let name = format!(
                "{} → {t}",
                page.strip_prefix(root()).unwrap_or(&page).display()
            );
            if !target.exists() {
                broken.push(format!("{name}: no such file"));
            } else if !anchor.is_empty() {
                let body = std::fs::read_to_string(&target).unwrap_or_default();
                if !anchors(&body).contains(anchor) {
                    broken.push(format!("{name}: no heading #{anchor}"));
                }
            }
        }
    }
    assert!(checked > 50, "links were found ({checked})");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn every_page_of_the_book_is_in_its_summary() {
    let docs = root().join("host/docs");
    let summary = std::fs::read_to_string(docs.join("SUMMARY.md")).expect("SUMMARY.md");
    let listed: BTreeSet<PathBuf> = targets(&summary).iter().map(|t| docs.join(t)).collect();
    let orphans: Vec<_> = pages()
        .into_iter()
        .filter(|p| p.starts_with(&docs) && !p.ends_with("SUMMARY.md") && !listed.contains(p))
        .collect();
    assert!(
        orphans.is_empty(),
        "pages not in host/docs/SUMMARY.md: {orphans:?}"
    );
    for p in &listed {
        assert!(
            p.exists(),
            "SUMMARY.md lists {} which does not exist",
            p.display()
        );
    }
}
