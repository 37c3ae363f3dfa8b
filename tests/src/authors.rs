//! Components written in Python and TypeScript, built from source by the
//! tests with the toolchains an author uses — componentize-py from PyPI,
//! jco and componentize-js from npm, at the versions `warrant new` pins —
//! installed once under `target/authors/`. A built component is kept under
//! `target/authors/built/`, named by a hash of everything it is built from,
//! so a later run reuses the same bytes (and the compiled-component cache
//! hits) until a source changes.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use warrant::authoring::{COMPONENTIZE_JS, COMPONENTIZE_PY, JCO, PREVIEW2_SHIM};

use crate::workspace_root;

/// `target/authors`.
pub fn authors_dir() -> PathBuf {
    let d = workspace_root().join("target").join("authors");
    std::fs::create_dir_all(&d).expect("target/authors");
    d
}

/// Serialize toolchain installs and builds across test processes.
fn lock() -> File {
    let f = File::create(authors_dir().join(".lock")).expect("lock file");
    f.lock().expect("lock target/authors");
    f
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// componentize-py, from PyPI, in `target/authors/py`.
pub fn componentize_py() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let _l = lock();
        let venv = authors_dir().join("py");
        let bin = venv.join("bin").join("componentize-py");
        let ready = || {
            Command::new(&bin)
                .arg("--version")
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(COMPONENTIZE_PY))
        };
        if !ready() {
            run(
                Command::new("python3").args(["-m", "venv"]).arg(&venv),
                "python3 -m venv",
            );
            run(
                Command::new(venv.join("bin").join("pip"))
                    .args(["install", "--quiet", "--disable-pip-version-check"])
                    .arg(format!("componentize-py=={COMPONENTIZE_PY}")),
                "pip install componentize-py",
            );
            assert!(
                ready(),
                "componentize-py {COMPONENTIZE_PY} is not there after installing it"
            );
        }
        bin
    })
    .clone()
}

/// `target/authors/js/node_modules`: jco and componentize-js from npm,
/// pinned as a `warrant new` TypeScript project pins them.
pub fn node_modules() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let _l = lock();
        let dir = authors_dir().join("js");
        std::fs::create_dir_all(&dir).expect("target/authors/js");
        let package = format!(
            r#"{{"private":true,"type":"module",
 "dependencies":{{"@bytecodealliance/jco":"{JCO}","@bytecodealliance/componentize-js":"{COMPONENTIZE_JS}"}},
 "overrides":{{"@bytecodealliance/componentize-js":"{COMPONENTIZE_JS}","@bytecodealliance/preview2-shim":"{PREVIEW2_SHIM}"}}}}
"#
        );
        let pj = dir.join("package.json");
        let current = std::fs::read_to_string(&pj).unwrap_or_default();
        let jco = dir.join("node_modules/.bin/jco");
        if current != package || !jco.exists() {
            std::fs::write(&pj, &package).expect("package.json");
            run(
                Command::new("npm")
                    .args(["install", "--no-audit", "--no-fund", "--silent"])
                    .current_dir(&dir),
                "npm install jco componentize-js",
            );
        }
        dir.join("node_modules")
    })
    .clone()
}

/// The `jco` command.
pub fn jco() -> PathBuf {
    node_modules().join(".bin").join("jco")
}

/// The repository's SDK and WIT files a build copies, as (relative path in
/// the build directory, absolute source).
fn sdk_files(lang: &str) -> Vec<(PathBuf, PathBuf)> {
    let root = workspace_root();
    let mut out = Vec::new();
    let mut add_dir = |from: &Path, to: &Path| {
        let mut stack = vec![PathBuf::new()];
        while let Some(rel) = stack.pop() {
            for e in std::fs::read_dir(from.join(&rel)).expect("sdk dir") {
                let e = e.expect("entry");
                let r = rel.join(e.file_name());
                if e.path().is_dir() {
                    if e.file_name() != "__pycache__" {
                        stack.push(r);
                    }
                } else {
                    out.push((to.join(&r), e.path()));
                }
            }
        }
    };
    add_dir(&root.join("plugin-sdk/wit"), Path::new("wit"));
    match lang {
        "python" => add_dir(
            &root.join("plugin-sdk/python/warrant_sdk"),
            Path::new("warrant_sdk"),
        ),
        _ => add_dir(&root.join("plugin-sdk/js"), Path::new("warrant-sdk")),
    }
    out.sort();
    out
}

/// Files of the app itself: the top-level files of `src` (no directories).
fn app_files(src: &Path) -> Vec<(PathBuf, PathBuf)> {
    let mut out: Vec<(PathBuf, PathBuf)> = std::fs::read_dir(src)
        .expect("app dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .map(|p| (PathBuf::from(p.file_name().expect("name")), p))
        .collect();
    out.sort();
    out
}

/// Build (or reuse) a component: copy the app and SDK into a fresh
/// directory and run `build` there, which must write `out.wasm`.
fn build(name: &str, lang: &str, src: &Path, salt: &str, build: impl Fn(&Path)) -> PathBuf {
    static BUILT: Mutex<Vec<(String, PathBuf)>> = Mutex::new(Vec::new());
    let mut files = app_files(src);
    files.extend(sdk_files(lang));
    let mut hashed =
        format!("{name}\n{lang}\n{salt}\n{COMPONENTIZE_PY} {JCO} {COMPONENTIZE_JS}\n").into_bytes();
    for (rel, abs) in &files {
        hashed.extend(rel.to_string_lossy().as_bytes());
        hashed.extend(std::fs::read(abs).expect("source file"));
    }
    let key = format!("{name}-{}", &warrant::keys::sha256_hex(&hashed)[..16]);
    if let Some((_, p)) = BUILT.lock().unwrap().iter().find(|(k, _)| *k == key) {
        return p.clone();
    }
    let out = authors_dir().join("built").join(format!("{key}.wasm"));
    if !out.is_file() {
        let _l = lock();
        if !out.is_file() {
            let work = authors_dir().join("work").join(&key);
            let _ = std::fs::remove_dir_all(&work);
            for (rel, abs) in &files {
                let to = work.join(rel);
                std::fs::create_dir_all(to.parent().expect("parent")).expect("work dir");
                std::fs::copy(abs, &to).expect("copy source");
            }
            build(&work);
            std::fs::create_dir_all(out.parent().expect("parent")).expect("built dir");
            std::fs::rename(work.join("out.wasm"), &out).expect("keep the component");
            let _ = std::fs::remove_dir_all(&work);
        }
    }
    BUILT.lock().unwrap().push((key, out.clone()));
    out
}

/// A Python component from `src` (with `app.py`), built against `world`
/// (`plugin` or `plugin-http`).
pub fn build_python(name: &str, src: &Path, world: &str) -> PathBuf {
    let cpy = componentize_py();
    build(name, "python", src, world, |work| {
        run(
            Command::new(&cpy)
                .args([
                    "-d",
                    "wit",
                    "-w",
                    world,
                    "componentize",
                    "app",
                    "-o",
                    "out.wasm",
                ])
                .current_dir(work),
            &format!("componentize-py for {name}"),
        );
    })
}

/// A TypeScript component from `src` (with `index.ts`), world `plugin-js`;
/// `http` builds `fetch` in.
pub fn build_ts(name: &str, src: &Path, http: bool) -> PathBuf {
    let jco = jco();
    build(
        name,
        "ts",
        src,
        if http { "http" } else { "no-http" },
        |work| {
            let mut cmd = Command::new(&jco);
            cmd.args([
                "componentize",
                "index.ts",
                "--wit",
                "wit",
                "--world-name",
                "plugin-js",
                "-o",
                "out.wasm",
            ])
            .current_dir(work);
            if !http {
                cmd.args(["--disable", "http"]);
            }
            run(&mut cmd, &format!("jco componentize for {name}"));
        },
    )
}

/// The Python adversary (tests/guests/py-adversary).
pub fn py_adversary() -> PathBuf {
    build_python(
        "py-adversary",
        &workspace_root().join("tests/guests/py-adversary"),
        "plugin-http",
    )
}

/// The TypeScript adversary (tests/guests/ts-adversary).
pub fn ts_adversary() -> PathBuf {
    build_ts(
        "ts-adversary",
        &workspace_root().join("tests/guests/ts-adversary"),
        true,
    )
}

/// The Python example plugin `phish-headers`.
pub fn phish_headers() -> PathBuf {
    build_python(
        "phish-headers",
        &workspace_root().join("example-plugins/phish-headers"),
        "plugin-http",
    )
}

/// The TypeScript example plugin `advisory-lookup`.
pub fn advisory_lookup() -> PathBuf {
    build_ts(
        "advisory-lookup",
        &workspace_root().join("example-plugins/advisory-lookup"),
        true,
    )
}
