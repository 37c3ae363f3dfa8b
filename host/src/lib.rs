//! # warrant: a WebAssembly plugin host for AI-agent tools
//!
//! Agent tools run as WebAssembly components, each able to do only what a
//! signed manifest grants it. The host mediates every call — who is calling,
//! for which task, under which grant and policy — runs it in a fresh sandbox,
//! and records it in a tamper-evident audit chain.
//!
//! This crate is the whole host as a library; the `warrant` binary and the
//! agent-facing servers are thin shells over it.
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! use warrant::{CallRequest, Host, HostConfig, HostOptions};
//!
//! let host = Host::open(HostConfig::load("warrant.toml".as_ref())?, HostOptions::default()).await?;
//! let answer = host
//!     .call(CallRequest {
//!         token: std::env::var("WARRANT_TOKEN")?,
//!         tool: "ioc-extract.extract".into(),
//!         input: r#"{"text": "beacon to 198.51.100.77"}"#.into(),
//!         channel: "lib",
//!         ..CallRequest::default()
//!     })
//!     .await;
//! println!("{} → {:?}", answer.call_id, answer.outcome);
//! # Ok(()) }
//! ```
//!
//! The layers, from the top (each module imports only modules below it):
//!
//! | layer | modules |
//! |---|---|
//! | shells | [`api`] (MCP, HTTP/JSON, operator API, metrics), [`cli`] |
//! | authors | [`authoring`] (`warrant new`, and `dev`/`test`: a project's component in the host's sandbox) |
//! | call path | [`mediation`] (the [`Host`]: one path for every call), [`operator`] (operator actions) |
//! | authorization | [`authz`] (one function: token, stops, scope, grant, input, rate, policy) |
//! | plugins, evidence | [`registry`] (verified plugins, loaded, by tool), [`evidence`] (a task's records, proofs and rules, verified offline) |
//! | execution and record | [`sandbox`] (wasmtime, grants, limits), [`audit`] (the chain) |
//! | what is configured and shared | [`manifest`], [`config`], [`state`] |
//! | capabilities | [`capability`] (one unit per capability: grant, ceiling, supply, load-time check, review, linking, uses) |
//! | keys and state directory | [`keys`], [`statedir`] (the state directory's layout and the host's keys) |
//! | bottom | [`vocab`] (shared vocabulary), [`privfs`] (private files) |

pub mod api;
pub mod assure;
pub mod audit;
pub mod authoring;
pub mod authz;
pub mod capability;
pub mod cli;
pub mod config;
pub mod evidence;
pub mod governance;
pub mod identity;
pub mod keys;
pub mod manifest;
pub mod mediation;
pub mod operator;
mod outbound;
pub mod privfs;
pub mod publish;
pub mod registry;
pub mod sandbox;
pub mod state;
pub mod statedir;
pub mod telemetry;
pub mod vocab;

pub use config::HostConfig;
pub use mediation::{
    CallError, CallInput, CallProgress, CallRequest, CallResponse, Host, HostError, HostOptions,
    ToolView,
};
pub use registry::{LoadOptions, RegisteredPlugin, Registry, RegistryError};
pub use sandbox::{
    CallFailure, CallReport, Capabilities, LoadError, LoadedPlugin, Sandbox, SandboxConfig,
};
pub use vocab::{CancelToken, Impact, ToolSpec};
