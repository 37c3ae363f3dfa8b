//! The sandbox: one wasmtime engine, components compiled once, and a fresh
//! store and instance for every call, built only from the plugin's grants.
//!
//! The sandbox knows nothing of agents, tokens or policy: it is handed
//! [`Capabilities`] and runs calls within them, reporting what the plugin
//! used ([`CapabilityUse`]) and how the call ended ([`CallFailure`]).

mod bindings;
mod cache;
mod capabilities;
mod checked;
mod describe;
mod egress;
mod engine;
mod error;
mod footprint;
mod http;
mod imports;
mod loader;
mod outcome;
mod plugin;
mod state;
mod stdio;
mod wasi;

pub use cache::CacheOutcome;
pub use capabilities::{Capabilities, FileGrant, Secret};
pub use checked::Checked;
pub use describe::describe_import;
pub use engine::DEFAULT_MAX_CORE_INSTANCES;
pub use engine::{SandboxConfig, build_engine};
pub use error::{CallFailure, LoadError};
pub use footprint::{Footprint, footprint};
pub use http::REQUEST_TIMEOUT;
pub use imports::{ComponentInterface, ImportClass, check_imports, classify, component_interface};
pub use loader::Sandbox;
pub use plugin::{CallReport, LoadedPlugin};
