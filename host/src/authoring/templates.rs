//! The files of a new tool project, embedded in the `warrant` binary: the
//! template per language, and the SDK and WIT world the project vendors —
//! the same files as in the repository's `plugin-sdk/`, so a project is
//! built against exactly the world this host implements.

use crate::authoring::Lang;

/// Pinned toolchain versions the templates name.
pub const COMPONENTIZE_PY: &str = "0.25.1";
/// `@bytecodealliance/jco`.
pub const JCO: &str = "1.35.0";
/// `@bytecodealliance/componentize-js`.
pub const COMPONENTIZE_JS: &str = "0.23.0";
/// `@bytecodealliance/preview2-shim`: 0.26.1 breaks `jco componentize`
/// ("failed to get path metadata … (os error 44)"), 0.26.0 works.
pub const PREVIEW2_SHIM: &str = "0.26.0";

macro_rules! files {
    ($($path:literal => $src:literal),* $(,)?) => {
        &[$(($path, include_str!($src))),*]
    };
}

type Files = &'static [(&'static str, &'static str)];

const COMMON: Files = files! {
    "manifest.toml" => "templates/common/manifest.toml",
    "tests.toml" => "templates/common/tests.toml",
    "README.md" => "templates/common/README.md",
    ".gitignore" => "templates/common/gitignore",
    "fixtures/http/intel.example.com/v1/indicators/203.0.113.7.json" =>
        "templates/common/fixtures/http/intel.example.com/v1/indicators/203.0.113.7.json",
};

/// The WIT world and the WASI packages it uses; `prefix` is where the
/// project keeps them.
const WIT: Files = files! {
    "world.wit" => "../../../plugin-sdk/wit/world.wit",
    "http.wit" => "../../../plugin-sdk/wit/http.wit",
    "deps/cli.wit" => "../../../plugin-sdk/wit/deps/cli.wit",
    "deps/clocks.wit" => "../../../plugin-sdk/wit/deps/clocks.wit",
    "deps/filesystem.wit" => "../../../plugin-sdk/wit/deps/filesystem.wit",
    "deps/http.wit" => "../../../plugin-sdk/wit/deps/http.wit",
    "deps/io.wit" => "../../../plugin-sdk/wit/deps/io.wit",
    "deps/random.wit" => "../../../plugin-sdk/wit/deps/random.wit",
    "deps/sockets.wit" => "../../../plugin-sdk/wit/deps/sockets.wit",
};

const RUST: Files = files! {
    "Cargo.toml" => "templates/rust/Cargo.toml",
    "src/lib.rs" => "templates/rust/lib.rs",
    "build.sh" => "templates/rust/build.sh",
    "warrant-sdk/Cargo.toml" => "templates/rust/sdk-Cargo.toml",
    "warrant-sdk/src/lib.rs" => "../../../plugin-sdk/src/lib.rs",
    "warrant-sdk/src/error.rs" => "../../../plugin-sdk/src/error.rs",
    "warrant-sdk/src/http.rs" => "../../../plugin-sdk/src/http.rs",
    "warrant-sdk/src/log.rs" => "../../../plugin-sdk/src/log.rs",
    "warrant-sdk/src/tool.rs" => "../../../plugin-sdk/src/tool.rs",
};

const PYTHON: Files = files! {
    "app.py" => "templates/python/app.py",
    "build.sh" => "templates/python/build.sh",
    "warrant_sdk/__init__.py" => "../../../plugin-sdk/python/warrant_sdk/__init__.py",
    "warrant_sdk/_schema.py" => "../../../plugin-sdk/python/warrant_sdk/_schema.py",
    "warrant_sdk/http.py" => "../../../plugin-sdk/python/warrant_sdk/http.py",
};

const TS: Files = files! {
    "index.ts" => "templates/ts/index.ts",
    "package.json" => "templates/ts/package.json",
    "tsconfig.json" => "templates/ts/tsconfig.json",
    "build.mjs" => "templates/ts/build.mjs",
    "build.sh" => "templates/ts/build.sh",
    "warrant-sdk/index.js" => "../../../plugin-sdk/js/index.js",
    "warrant-sdk/index.d.ts" => "../../../plugin-sdk/js/index.d.ts",
    "warrant-sdk/types/plugin-js.d.ts" => "../../../plugin-sdk/js/types/plugin-js.d.ts",
    "warrant-sdk/types/interfaces/warrant-plugin-host.d.ts" =>
        "../../../plugin-sdk/js/types/interfaces/warrant-plugin-host.d.ts",
    "warrant-sdk/types/interfaces/warrant-plugin-types.d.ts" =>
        "../../../plugin-sdk/js/types/interfaces/warrant-plugin-types.d.ts",
    "warrant-sdk/types/interfaces/wasi-cli-environment.d.ts" =>
        "../../../plugin-sdk/js/types/interfaces/wasi-cli-environment.d.ts",
    "warrant-sdk/types/interfaces/wasi-clocks-wall-clock.d.ts" =>
        "../../../plugin-sdk/js/types/interfaces/wasi-clocks-wall-clock.d.ts",
    "warrant-sdk/types/interfaces/wasi-filesystem-preopens.d.ts" =>
        "../../../plugin-sdk/js/types/interfaces/wasi-filesystem-preopens.d.ts",
    "warrant-sdk/types/interfaces/wasi-filesystem-types.d.ts" =>
        "../../../plugin-sdk/js/types/interfaces/wasi-filesystem-types.d.ts",
    "warrant-sdk/types/interfaces/wasi-io-error.d.ts" =>
        "../../../plugin-sdk/js/types/interfaces/wasi-io-error.d.ts",
    "warrant-sdk/types/interfaces/wasi-io-poll.d.ts" =>
        "../../../plugin-sdk/js/types/interfaces/wasi-io-poll.d.ts",
    "warrant-sdk/types/interfaces/wasi-io-streams.d.ts" =>
        "../../../plugin-sdk/js/types/interfaces/wasi-io-streams.d.ts",
};

/// Every file of a new `lang` project, as (relative path, contents), with
/// the placeholders filled in.
pub fn project_files(lang: Lang, id: &str, publisher: &str) -> Vec<(String, String)> {
    let (files, wit_dir, build, sdk) = match lang {
        Lang::Rust => (RUST, "warrant-sdk/wit", "./build.sh", "warrant-sdk/"),
        Lang::Python => (PYTHON, "wit", "./build.sh", "warrant_sdk/"),
        Lang::Ts => (TS, "wit", "./build.sh", "warrant-sdk/"),
    };
    let fill = |text: &str| {
        text.replace("{{id}}", id)
            .replace("{{crate}}", &id.replace('-', "_"))
            .replace("{{publisher}}", publisher)
            .replace("{{lang}}", lang.title())
            .replace("{{build}}", build)
            .replace("{{sdk}}", sdk)
            .replace("{{componentize_py}}", COMPONENTIZE_PY)
            .replace("{{jco}}", JCO)
            .replace("{{componentize_js}}", COMPONENTIZE_JS)
            .replace("{{preview2_shim}}", PREVIEW2_SHIM)
    };
    let mut out: Vec<(String, String)> = COMMON
        .iter()
        .chain(files.iter())
        .map(|(p, t)| ((*p).to_owned(), fill(t)))
        .collect();
    out.extend(
        WIT.iter()
            .map(|(p, t)| (format!("{wit_dir}/{p}"), (*t).to_owned())),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled() {
        for lang in [Lang::Rust, Lang::Python, Lang::Ts] {
            for (path, text) in project_files(lang, "my-tool", "me") {
                assert!(!text.contains("{{"), "{lang:?} {path}");
            }
        }
    }
}
