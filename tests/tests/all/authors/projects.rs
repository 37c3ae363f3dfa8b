//! What an author does, in each language, with the `warrant` CLI: `warrant
//! new`, the project's own build script, `warrant test` (which passes on
//! the first try), `warrant dev` (a capability use, and a refusal), then a
//! signing key, `warrant sign`, a host that trusts the key, and an agent
//! calling the tool over MCP.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::json;
use warrant_tests::authors::{authors_dir, componentize_py, node_modules};
use warrant_tests::{Fixture, fixture_cli, workspace_root};

use crate::api::support::{mcp_client, serve};
use crate::authors::intel_api;

fn warrant(args: &[&str], dir: &Path) -> Output {
    Command::new(fixture_cli())
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "error")
        .env_remove("INTEL_API")
        .output()
        .expect("the CLI runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The tests' shared compiled-component cache: a generated project's
/// component is new on every run, so it is compiled into the project's own
/// `build/cache` instead (the default of `warrant dev` and `warrant test`),
/// which goes with the project.
fn shared_cache() -> String {
    workspace_root()
        .join("target/warrant-test-cache")
        .display()
        .to_string()
}

/// `warrant new` then the project's build script, with the toolchains the
/// tests keep under target/ (an author's script installs its own).
fn new_and_build(lang: &str, id: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let o = warrant(
        &["new", id, "--lang", lang, "--publisher", "test-author"],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    let dir = tmp.path().join(id);
    let mut build = Command::new("sh");
    build.arg("build.sh").current_dir(&dir);
    match lang {
        "python" => {
            build.env("COMPONENTIZE_PY", componentize_py());
        }
        "ts" => {
            // The project's own package.json pins the same versions.
            std::os::unix::fs::symlink(node_modules(), dir.join("node_modules")).unwrap();
        }
        _ => {
            build.env("CARGO_TARGET_DIR", authors_dir().join("rust-target"));
            for var in [
                "RUSTFLAGS",
                "CARGO_ENCODED_RUSTFLAGS",
                "CARGO_BUILD_TARGET",
                "RUSTC_WRAPPER",
                "RUSTC_WORKSPACE_WRAPPER",
            ] {
                build.env_remove(var);
            }
        }
    }
    let o = build.output().expect("build.sh runs");
    assert!(o.status.success(), "{lang} build failed:\n{}", text(&o));
    assert!(dir.join(format!("build/{id}.wasm")).is_file());
    (tmp, dir)
}

async fn author_to_agent(lang: &str) {
    let id = format!("my-{lang}-tool");
    let (_tmp, dir) = tokio::task::spawn_blocking({
        let id = id.clone();
        let lang = lang.to_owned();
        move || new_and_build(&lang, &id)
    })
    .await
    .unwrap();

    if lang == "ts" {
        // The project type-checks against the SDK's types.
        let o = Command::new(dir.join("node_modules/.bin/tsc"))
            .args(["--noEmit", "-p", "."])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(o.status.success(), "tsc: {}", text(&o));
    }

    // Its own tests pass on the first try, in the host's sandbox.
    let o = warrant(&["test"], &dir);
    assert!(o.status.success(), "{lang}: {}", text(&o));
    assert!(text(&o).contains("4 passed, 0 failed"), "{}", text(&o));

    // `warrant dev`: a capability use (answered by the stub)…
    let input = r#"{"indicator":"203.0.113.7"}"#;
    let o = warrant(&["dev", "call", "lookup", "--input", input], &dir);
    let out = text(&o);
    assert!(o.status.success(), "{lang}: {out}");
    assert!(out.contains("NOT signed, NOT audited"), "{out}");
    assert!(
        out.contains("http GET https://intel.example.com:443/v1/indicators/203.0.113.7 → 200"),
        "{lang}: {out}"
    );
    assert!(out.contains(r#""verdict":"malicious""#), "{out}");
    // …and a refusal by the sandbox, with the reason.
    let o = warrant(
        &[
            "dev",
            "call",
            "lookup",
            "--input",
            input,
            "--env",
            "INTEL_API=https://elsewhere.example.net",
        ],
        &dir,
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("REFUSED http GET https://elsewhere.example.net:443/v1/indicators/203.0.113.7: https://elsewhere.example.net:443 is not in this plugin's http grant"),
        "{lang}: {out}"
    );

    // Signed with the author's key, for the API the operator runs.
    let api = intel_api().await;
    let manifest = std::fs::read_to_string(dir.join("manifest.toml")).unwrap();
    std::fs::write(
        dir.join("manifest.toml"),
        manifest.replace("\"https://intel.example.com\"", &format!("{api:?}")),
    )
    .unwrap();
    let o = warrant(&["keygen", "--id", "author-key", "--out", "keys"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let o = warrant(
        &[
            "sign",
            "manifest.toml",
            "--key",
            "keys/author-key.key",
            "--cache-dir",
            "build/cache",
        ],
        &dir,
    );
    assert!(o.status.success(), "{lang}: {}", text(&o));
    assert!(
        text(&o).contains("signed with key author-key"),
        "{}",
        text(&o)
    );

    // An operator trusts the key and loads the plugin; an agent calls it.
    let trust = std::fs::read_to_string(dir.join("keys/author-key.pub")).unwrap();
    let fx = Fixture::builder()
        .agent("bot", &[&format!("{id}.*")])
        .config(&format!(
            "{trust}\n[[plugins]]\nmanifest = {:?}\nenv = {{ INTEL_API = {api:?} }}\n",
            dir.join("manifest.toml").display().to_string()
        ))
        .build()
        .await;
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    let local = dir.join("build/cache").display().to_string();
    std::fs::write(fx.config_path(), cfg.replace(&shared_cache(), &local)).unwrap();
    let o = Command::new(fixture_cli())
        .args(["verify", &dir.join("manifest.toml").display().to_string()])
        .env("WARRANT_CONFIG", fx.config_path())
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(o.status.success(), "{lang}: {}", text(&o));
    let server = serve(&fx).await;
    assert!(
        server.host.registry().refusals().is_empty(),
        "{:?}",
        server.host.registry().refusals()
    );
    let token = fx.token("bot", "T-1", &[]).await;
    let report = mcp_client(
        vec!["http".into(), "--url".into(), format!("{}/mcp", server.base), "--token".into(), token],
        &json!([{"op": "call", "name": format!("{id}__lookup"), "arguments": {"indicator": "203.0.113.45"}}]),
    )
    .await;
    let r = &report["results"][0];
    assert_eq!(r["is_error"], false, "{lang}: {report}");
    assert!(
        r["text"]
            .as_str()
            .unwrap()
            .contains(r#""verdict":"malicious""#),
        "{report}"
    );
}

#[tokio::test]
async fn a_python_author_goes_from_warrant_new_to_an_agents_mcp_call() {
    author_to_agent("python").await;
}

#[tokio::test]
async fn a_typescript_author_goes_from_warrant_new_to_an_agents_mcp_call() {
    author_to_agent("ts").await;
}

#[tokio::test]
async fn a_rust_author_goes_from_warrant_new_to_an_agents_mcp_call() {
    author_to_agent("rust").await;
}

#[tokio::test]
async fn the_typescript_sdk_types_are_generated_from_the_wit_world() {
    let jco = tokio::task::spawn_blocking(warrant_tests::authors::jco)
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let root = workspace_root();
    let o = Command::new(jco)
        .args([
            "guest-types",
            "plugin-sdk/wit",
            "--world-name",
            "plugin-js",
            "-q",
            "-o",
        ])
        .arg(out.path())
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let committed = root.join("plugin-sdk/js/types");
    let mut files = vec![PathBuf::from("plugin-js.d.ts")];
    for e in std::fs::read_dir(out.path().join("interfaces")).unwrap() {
        files.push(Path::new("interfaces").join(e.unwrap().file_name()));
    }
    for f in &files {
        let fresh = std::fs::read_to_string(out.path().join(f)).unwrap();
        let ours = std::fs::read_to_string(committed.join(f)).unwrap_or_default();
        assert_eq!(
            fresh,
            ours,
            "plugin-sdk/js/types/{} is stale: run jco guest-types plugin-sdk/wit --world-name plugin-js -o plugin-sdk/js/types",
            f.display()
        );
    }
    let count = std::fs::read_dir(committed.join("interfaces"))
        .unwrap()
        .count()
        + 1;
    assert_eq!(
        count,
        files.len(),
        "plugin-sdk/js/types has files jco no longer generates"
    );
}

#[test]
fn the_python_sdk_passes_its_own_unit_tests() {
    let o = Command::new("python3")
        .args([
            "-m",
            "unittest",
            "discover",
            "-s",
            "plugin-sdk/python/tests",
            "-t",
            "plugin-sdk/python",
        ])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(workspace_root())
        .output()
        .expect("python3 runs");
    assert!(o.status.success(), "{}", text(&o));
}
