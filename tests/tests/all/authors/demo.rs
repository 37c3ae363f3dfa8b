//! `warrant demo --authors` on a copy of the repository's examples: the
//! Python and TypeScript example plugins are built by their own build
//! scripts, signed with the example publisher key the demo creates in the
//! state directory, trusted by the example config through its
//! `public-key-file`, loaded and called.

use std::path::Path;
use std::process::Command;

use warrant_tests::authors::{componentize_py, jco};
use warrant_tests::{fixture_cli, workspace_root};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        if ["build", "node_modules", ".venv", "__pycache__"].contains(&name.to_str().unwrap_or(""))
        {
            continue;
        }
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(&name));
        } else {
            std::fs::copy(e.path(), to.join(&name)).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_builds_signs_loads_and_calls_the_python_and_typescript_examples() {
    let (cpy, jco) = tokio::task::spawn_blocking(|| (componentize_py(), jco()))
        .await
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let root = workspace_root();
    for dir in ["manifests", "plugin-sdk", "example-plugins"] {
        copy_dir(&root.join(dir), &tmp.path().join(dir));
    }
    // The Python and TypeScript plugins are granted, and pointed at, the
    // intel API the demo starts on a free port (their manifests are signed
    // by the demo, so the copies may change; http-lookup's signed grant
    // stays on 8788 and its call fails here).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = tmp.path().join("manifests/warrant.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let moved = |t: &str| t.replace("127.0.0.1:8788", &format!("127.0.0.1:{port}"));
    std::fs::write(&config, moved(&text)).unwrap();
    for id in ["phish-headers", "advisory-lookup"] {
        let m = tmp
            .path()
            .join("example-plugins")
            .join(id)
            .join("manifest.toml");
        std::fs::write(&m, moved(&std::fs::read_to_string(&m).unwrap())).unwrap();
    }
    let out = tokio::task::spawn_blocking(move || {
        Command::new(fixture_cli())
            .args([
                "demo",
                "--once",
                "--authors",
                "--intel",
                &format!("127.0.0.1:{port}"),
                "--config",
            ])
            .arg(&config)
            .env("COMPONENTIZE_PY", cpy)
            .env("JCO", jco)
            .env("RUST_LOG", "error")
            .env_remove("WARRANT_OPERATOR_KEY")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(
        tmp.path()
            .join(".warrant/publishers/example-authors.key")
            .exists()
    );
    for line in [
        "built and signed phish-headers with example-authors",
        "built and signed advisory-lookup with example-authors",
        "phish-headers 0.1.0 — signed by example-authors",
        "advisory-lookup 0.1.0 — signed by example-authors",
        "phish-headers.analyze: ok",
        "advisory-lookup.lookup: ok",
        "origin \"203.0.113.45\" is \"malicious\"",
        "bastion-1.corp.example",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
    assert!(!text.contains("NOT LOADED"), "{text}");
}
