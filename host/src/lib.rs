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
//! The layers, from the bottom: [`manifest`] and [`keys`] (what is signed
//! and who is trusted), [`config`] (the operator's `warrant.toml`),
//! [`sandbox`] (wasmtime, grants, limits), [`registry`] (verified plugins by
//! tool), [`state`] (shared state in SQLite).

pub mod admin;
pub mod api;
pub mod audit;
pub mod authz;
mod canonical;
pub mod cli;
pub mod config;
pub mod demo;
mod fsutil;
mod host;
pub mod keys;
pub mod manifest;
pub mod publish;
pub mod registry;
pub mod sandbox;
pub mod state;
mod tool;

pub use config::HostConfig;
pub use host::{CallError, CallRequest, CallResponse, Host, HostError, HostOptions, ToolView};
pub use registry::{LoadOptions, RegisteredPlugin, Registry, RegistryError};
pub use sandbox::{
    CallFailure, CallReport, CancelToken, Capabilities, LoadError, LoadedPlugin, Sandbox,
    SandboxConfig,
};
pub use state::StateDb;
pub use tool::{Impact, ToolSpec, valid_plugin_id, valid_tool_name};
