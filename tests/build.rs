//! Build every plugin component the tests use, for `wasm32-wasip2`, and
//! write their paths into `$OUT_DIR/components.rs` — the way wasmtime's
//! test-programs do, so that one `cargo test` builds and tests everything.

use std::path::{Path, PathBuf};
use std::process::Command;

/// (package, crate file stem) of every component built for the tests.
const COMPONENTS: &[(&str, &str)] = &[
    ("ioc-extract", "ioc_extract"),
    ("log-search", "log_search"),
    ("case-note", "case_note"),
    ("http-lookup", "http_lookup"),
    ("adversary", "adversary"),
    ("conformance", "conformance"),
    ("fetcher", "fetcher"),
];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest_dir
        .parent()
        .expect("tests/ is inside the workspace");
    for dir in ["example-plugins", "plugin-sdk", "tests/guests"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );

    // A target directory of its own: the outer cargo holds the lock on
    // `target/debug` while this script runs.
    let target_dir = root.join("target").join("wasm-plugins");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(&target_dir);
    for (package, _) in COMPONENTS {
        cmd.args(["-p", package]);
    }
    // Flags meant for the host build must not leak into the wasm build.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .expect("could not run cargo to build the test components");
    if !status.success() {
        panic!(
            "building the plugin components for wasm32-wasip2 failed. If the target is \
             missing, run: rustup target add wasm32-wasip2"
        );
    }

    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    let wasm_dir = target_dir.join("wasm32-wasip2").join("release");
    let mut code = String::from("/// Built components: (package, path to the `.wasm`).\n");
    code.push_str("pub const COMPONENTS: &[(&str, &str)] = &[\n");
    for (package, stem) in COMPONENTS {
        let path = wasm_dir.join(format!("{stem}.wasm"));
        assert!(exists(&path), "{} was not built", path.display());
        code.push_str(&format!(
            "    ({package:?}, {:?}),\n",
            path.display().to_string()
        ));
    }
    code.push_str("];\n");
    std::fs::write(out_dir.join("components.rs"), code).expect("OUT_DIR is writable");
}

fn exists(p: &Path) -> bool {
    p.is_file()
}
