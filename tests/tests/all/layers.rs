//! The architecture, checked: every module of the host crate imports only
//! modules below it, and the files of one module do not import each other
//! in circles.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, from the bottom. A module may import modules of lower
/// layers only (never one of its own layer but itself).
const LAYERS: &[&[&str]] = &[
    &["vocab", "privfs"],
    &["keys", "outbound"],
    &["statedir"],
    &["capability"],
    &["manifest", "config", "state"],
    &["governance"],
    &["sandbox", "audit"],
    &["registry", "identity", "evidence", "telemetry"],
    &["authz"],
    &["operator"],
    &["mediation", "publish"],
    &["authoring", "assure"],
    &["api"],
    &["cli"],
];

fn layer(m: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&m))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `crate::…` path in `text`, as its segments (a `{…}` group is
/// flattened into the identifiers it names).
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let mut segs = Vec::new();
        let mut s = rest;
        loop {
            let n = s
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(s.len());
            if n == 0 {
                break;
            }
            segs.push(s[..n].to_owned());
            s = &s[n..];
            if let Some(t) = s.strip_prefix("::") {
                s = t;
                if let Some(group) = s.strip_prefix('{') {
                    let end = group.find('}').unwrap_or(group.len());
                    for name in group[..end].split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                        if !name.is_empty() {
                            let mut p = segs.clone();
                            p.push(name.to_owned());
                            out.push(p);
                        }
                    }
                    break;
                }
            } else {
                break;
            }
        }
        if !segs.is_empty() {
            out.push(segs);
        }
    }
    out
}

#[test]
fn modules_import_only_modules_below_them_and_no_files_import_in_circles() {
    let src = warrant_tests::workspace_root().join("host/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    // Sibling edges within each top-level module: (module, from, to).
    let mut edges: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
            .collect();
        let top = parts[0].clone();
        if top == "lib" || top == "main" {
            continue;
        }
        let Some(rank) = layer(&top) else {
            violations.push(format!("module {top} is in no layer: add it to LAYERS"));
            continue;
        };
        let sub = (parts.len() > 1 && parts[1] != "mod").then(|| parts[1].clone());
        let text = std::fs::read_to_string(f).unwrap();
        for path in crate_paths(&text) {
            let target = &path[0];
            let Some(to) = layer(target) else { continue };
            if target != &top && to >= rank {
                violations.push(format!(
                    "{} imports crate::{} (layer {to}), which is not below {top} (layer {rank})",
                    rel.display(),
                    path.join("::")
                ));
            }
            if target == &top
                && let (Some(from), Some(to_sub)) = (&sub, path.get(1))
                && to_sub != from
                && src.join(&top).join(format!("{to_sub}.rs")).exists()
                    | src.join(&top).join(to_sub).is_dir()
            {
                edges
                    .entry(top.clone())
                    .or_default()
                    .insert((from.clone(), to_sub.clone()));
            }
        }
    }
    for (module, es) in &edges {
        let nodes: BTreeSet<&String> = es.iter().flat_map(|(a, b)| [a, b]).collect();
        for start in nodes {
            let mut stack = vec![(start.clone(), vec![start.clone()])];
            while let Some((at, trail)) = stack.pop() {
                for (a, b) in es.iter().filter(|(a, _)| *a == at) {
                    if b == start {
                        violations
                            .push(format!("{module}: {} → {b} is a circle", trail.join(" → ")));
                    } else if !trail.contains(b) {
                        let mut t = trail.clone();
                        t.push(b.clone());
                        stack.push((b.clone(), t));
                    }
                    let _ = a;
                }
            }
        }
    }
    violations.sort();
    violations.dedup();
    assert!(
        violations.is_empty(),
        "the layering is broken:\n{}",
        violations.join("\n")
    );
}

#[test]
fn no_source_file_is_longer_than_400_lines() {
    let root = warrant_tests::workspace_root();
    let mut files = Vec::new();
    for dir in [
        "host/src",
        "plugin-sdk/src",
        "example-plugins",
        "tests/src",
        "tests/tests",
        "tests/guests",
    ] {
        rust_files(&root.join(dir), &mut files);
    }
    let long: Vec<String> = files
        .iter()
        .filter(|f| !f.components().any(|c| c.as_os_str() == "target"))
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > 400).then(|| format!("{}: {n} lines", f.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split these by responsibility:\n{}",
        long.join("\n")
    );
}
