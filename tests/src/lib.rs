//! Shared helpers for warrant's integration tests: the plugin components
//! built by `build.rs`, and [`Fixture`], a real host around them — signed
//! manifests, a host config, agents, policies — in a temporary directory.

pub mod authors;
mod cli;
pub mod debian;
pub mod exposition;
mod fixture;
mod fork;
mod governors;
pub mod haproxy;
mod operators;
pub mod otlp;
pub mod postgres;
mod probe;
pub mod prometheus;
mod proxy;
mod synthetic_chain;
mod volume;
mod wait;

pub use cli::{EMBEDDED_CLI_ENV, cli_path as fixture_cli, embed_cli, embeds_cli};
pub use fixture::{Fixture, FixtureBuilder, PERMIT_ALL, PluginSpec};
pub use governors::Governors;
pub use probe::probe_tools;

pub use operators::OPERATORS;
pub use proxy::Proxy;
pub use synthetic_chain::{
    SYNTHETIC_HOST, TASK_RECORDS, Written, append_synthetic_chain, synthetic_call_id,
    synthetic_task, write_synthetic_chain,
};
pub use volume::SmallVolume;
pub use wait::stops_seen;

include!(concat!(env!("OUT_DIR"), "/components.rs"));

/// The path of a built component by package name.
///
/// # Panics
///
/// When no component of that name was built (a typo in a test).
pub fn component_path(package: &str) -> &'static str {
    COMPONENTS
        .iter()
        .find(|(p, _)| *p == package)
        .map(|(_, path)| *path)
        .unwrap_or_else(|| panic!("no component named {package} was built"))
}

/// The bytes of a built component.
///
/// # Panics
///
/// When the component is missing.
pub fn component_bytes(package: &str) -> Vec<u8> {
    std::fs::read(component_path(package)).expect("built component is readable")
}

/// The workspace root.
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_path_buf()
}
