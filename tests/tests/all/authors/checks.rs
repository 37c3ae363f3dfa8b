//! `warrant sign` and `warrant inspect` make the checks a host makes at
//! load (imports against grants, limits, the instance count), so an author
//! hears at signing what a host would refuse; and the host takes a language
//! runtime's baseline imports as they are, inert.

use std::path::Path;
use std::process::{Command, Output};

use warrant_tests::authors::{py_adversary, ts_adversary};
use warrant_tests::{Fixture, PluginSpec, fixture_cli};

/// The CLI, with the tests' compiled-component cache for sign and inspect.
fn warrant(args: &[&str], dir: &Path) -> Output {
    let cache = warrant_tests::workspace_root().join("target/warrant-test-cache");
    let cached = matches!(args.first(), Some(&"sign" | &"inspect"));
    Command::new(fixture_cli())
        .args(args)
        .args(if cached {
            vec!["--cache-dir".to_owned(), cache.display().to_string()]
        } else {
            vec![]
        })
        .current_dir(dir)
        .env("RUST_LOG", "error")
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

/// A project directory with `component` and a draft manifest granting
/// `grants`, with `limits`, listing `tools`.
fn project(component: &Path, grants: &str, limits: &str, tools: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(component, dir.path().join("c.wasm")).unwrap();
    let mut m = format!(
        "manifest-version = 1\n\n[plugin]\nid = \"p\"\nversion = \"1.0.0\"\npublisher = \"t\"\ncomponent = \"c.wasm\"\n\n[grants]\n{grants}\n\n[limits]\n{limits}\n"
    );
    for t in tools {
        m.push_str(&format!("\n[[tools]]\nname = {t:?}\naction-owner = \"o\"\ndescription = \"x\"\nimpact = \"read\"\ninput-schema = \"{{}}\"\n"));
    }
    std::fs::write(dir.path().join("manifest.toml"), m).unwrap();
    let o = warrant(&["keygen", "--id", "k", "--out", "keys"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    dir
}

const PY_TOOLS: &[&str] = &["read", "fetch", "secret", "env", "socket", "grow", "spin"];
const TS_TOOLS: &[&str] = &["read", "fetch", "secret", "env", "grow", "spin"];

#[tokio::test]
async fn sign_and_inspect_refuse_what_a_host_would_refuse() {
    let (py, ts) = tokio::task::spawn_blocking(|| (py_adversary(), ts_adversary()))
        .await
        .unwrap();

    // A TypeScript component built with fetch, under a manifest that grants
    // no origin: refused by sign and by inspect, naming the import and the
    // fix — not signed, as it was before.
    let dir = project(&ts, "", "", TS_TOOLS);
    let o = warrant(
        &["sign", "manifest.toml", "--key", "keys/k.key"],
        dir.path(),
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("refused import `wasi:http/"), "{out}");
    assert!(out.contains("--disable http"), "{out}");
    assert!(
        !std::fs::read_to_string(dir.path().join("manifest.toml"))
            .unwrap()
            .contains("[signature]")
    );
    let o = warrant(&["inspect", "manifest.toml"], dir.path());
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("REFUSED: outbound HTTP, but the manifest grants no origin"),
        "{out}"
    );
    assert!(
        out.contains("REFUSED: a host would not load this plugin"),
        "{out}"
    );
    // Granted an origin, the same component signs.
    let dir = project(&ts, "http = [\"http://127.0.0.1:9\"]", "", TS_TOOLS);
    let o = warrant(
        &["sign", "manifest.toml", "--key", "keys/k.key"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", text(&o));

    // A Python component imports sockets, environment, clocks, random and
    // files whatever it does: with nothing granted they are linked inert,
    // so it signs, and inspect says so.
    let dir = project(&py, "http = [\"http://127.0.0.1:9\"]", "", PY_TOOLS);
    let o = warrant(&["inspect", "manifest.toml"], dir.path());
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    for line in [
        "wasi:sockets/tcp@0.2.9",
        "sockets — imported, inert: no socket can ever be opened",
        "files — imported, inert: no directory is granted",
        "environment — imported, inert: no variable is granted",
        "clock — imported, inert",
        "Instantiation creates 14 core instances",
    ] {
        assert!(out.contains(line), "{line}: {out}");
    }
    let o = warrant(
        &["sign", "manifest.toml", "--key", "keys/k.key"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", text(&o));

    // A memory limit below what the runtime starts with: every call would
    // fail, so signing refuses it.
    let dir = project(
        &py,
        "http = [\"http://127.0.0.1:9\"]",
        "memory = \"4MiB\"",
        PY_TOOLS,
    );
    let o = warrant(
        &["sign", "manifest.toml", "--key", "keys/k.key"],
        dir.path(),
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("memory starts at") && out.contains("above its memory limit of 4MiB"),
        "{out}"
    );
}

#[tokio::test]
async fn the_instance_limit_comes_from_the_component_within_the_operators_ceiling() {
    let py = tokio::task::spawn_blocking(py_adversary).await.unwrap();
    let grants = "http = [\"http://127.0.0.1:9\"]";
    // Default ceiling: the Python runtime's 14 core instances load.
    let fx = Fixture::builder()
        .plugin(PluginSpec::built("py", py.clone()).grants(grants))
        .agent("bot", &["py.*"])
        .build()
        .await;
    let host = fx.host().await;
    assert!(
        host.registry().refusals().is_empty(),
        "{:?}",
        host.registry().refusals()
    );
    // An operator ceiling below it: refused at load, naming both numbers;
    // a Rust component (3) still loads.
    let fx = Fixture::builder()
        .plugin(PluginSpec::built("py", py).grants(grants))
        .plugin(PluginSpec::new("adversary"))
        .agent("bot", &["py.*", "adversary.*"])
        .build()
        .await;
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    std::fs::write(
        fx.config_path(),
        cfg.replace("[sandbox]\n", "[sandbox]\nmax-core-instances = 6\n"),
    )
    .unwrap();
    let host = fx.host().await;
    let registry = host.registry();
    let refusals = registry.refusals();
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    let why = refusals[0].to_string();
    assert!(
        why.contains("creates 14 core instances, above this host's ceiling of 6"),
        "{why}"
    );
    assert!(host.registry().get("adversary").is_some());
}
