//! The sandbox: one wasmtime engine, components compiled once, and a fresh
//! store and instance for every call, built only from the plugin's grants.
//!
//! The sandbox knows nothing of agents, tokens or policy: it is handed
//! [`Capabilities`] and runs calls within them, with a linker composed
//! from them, reporting what the plugin used ([`CapabilityUse`]) and how
//! the call ended ([`CallFailure`]) — a call whose output, error or log
//! holds a value the host never lets out fails.
//!
//! [`CapabilityUse`]: crate::capability::CapabilityUse

mod bindings;
mod cache;
mod checked;
mod describe;
mod engine;
mod error;
mod footprint;
mod imports;
mod linking;
mod loader;
mod outcome;
mod plugin;
mod state;
mod stdio;
mod store;
mod wasi;

pub use crate::capability::files::FileGrant;
pub use crate::capability::http::REQUEST_TIMEOUT;
pub use crate::capability::{Capabilities, Secret};
pub use cache::CacheOutcome;
pub use checked::Checked;
pub use describe::describe_import;
pub use engine::DEFAULT_MAX_CORE_INSTANCES;
pub use engine::{SandboxConfig, build_engine};
pub use error::{CallFailure, LoadError};
pub use footprint::{Footprint, footprint};
pub use imports::{ComponentInterface, ImportClass, check_imports, classify, component_interface};
pub use loader::Sandbox;
pub use plugin::{CallReport, LoadedPlugin};
