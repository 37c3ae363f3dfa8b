//! The per-call store state: a WASI context built only from grants, the
//! resource limiter, and the record of capability uses.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::sandbox::bindings;
use crate::sandbox::capabilities::Capabilities;
use crate::sandbox::footprint::Footprint;
use crate::sandbox::http::HttpGate;
use crate::sandbox::stdio::BoundedPipe;
use crate::vocab::{CancelToken, CapabilityUse};

/// Why the host interrupted the guest, so a trap can be told apart from a
/// limit the host enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interrupt {
    Timeout,
    Cancelled,
}

/// Store data for one call. Dropped with the store when the call ends.
pub(crate) struct CallState {
    pub(crate) plugin: Arc<str>,
    pub(crate) caps: Arc<Capabilities>,
    pub(crate) wasi: WasiCtx,
    pub(crate) http: WasiHttpCtx,
    pub(crate) http_gate: HttpGate,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: Limiter,
    pub(crate) stdout: BoundedPipe,
    pub(crate) stderr: BoundedPipe,
    pub(crate) uses: Vec<CapabilityUse>,
    pub(crate) log_lines: u32,
    pub(crate) deadline: Instant,
    pub(crate) cancel: CancelToken,
    pub(crate) interrupt: Option<Interrupt>,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for CallState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.http_gate,
        }
    }
}

/// Memory and table limits for one store. Unlike wasmtime's `StoreLimits` it
/// remembers that the memory limit was hit, so the call reports "memory
/// limit" rather than a bare trap.
#[derive(Debug)]
pub(crate) struct Limiter {
    pub(crate) memory: usize,
    pub(crate) memory_hit: bool,
    /// Core instances, memories and tables one instantiation may create:
    /// the component's own count ([`Footprint`]) plus a little slack.
    pub(crate) footprint: Footprint,
}

/// Table elements a guest may grow to; Rust components need a few hundred.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory {
            self.memory_hit = true;
            return Err(wasmtime::format_err!(
                "memory limit of {} bytes reached",
                self.memory
            ));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        self.footprint.core_instances as usize
    }

    fn tables(&self) -> usize {
        self.footprint.tables as usize
    }

    fn memories(&self) -> usize {
        self.footprint.memories as usize
    }
}

/// Longest log line a plugin may write; the rest is cut.
const LOG_LINE_MAX: usize = 2048;
/// Log lines per call; the rest are dropped.
const LOG_LINES_MAX: u32 = 200;

impl bindings::warrant::plugin::types::Host for CallState {}

impl bindings::warrant::plugin::host::Host for CallState {
    fn log(&mut self, level: bindings::Level, message: String) {
        self.log_lines += 1;
        if self.log_lines > LOG_LINES_MAX {
            if self.log_lines == LOG_LINES_MAX + 1 {
                tracing::warn!(target: "warrant::plugin", plugin = %self.plugin, "further log lines of this call are dropped");
            }
            return;
        }
        let mut cut = message.len().min(LOG_LINE_MAX);
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        // Escape control characters so a plugin cannot forge log lines.
        let text = message[..cut].escape_debug().to_string();
        let plugin = &*self.plugin;
        match level {
            bindings::Level::Debug => tracing::debug!(target: "warrant::plugin", plugin, "{text}"),
            bindings::Level::Info => tracing::info!(target: "warrant::plugin", plugin, "{text}"),
            bindings::Level::Warn => tracing::warn!(target: "warrant::plugin", plugin, "{text}"),
            bindings::Level::Error => tracing::error!(target: "warrant::plugin", plugin, "{text}"),
        }
    }

    fn secret(&mut self, name: String) -> Result<String, String> {
        let name: String = name.chars().take(128).collect();
        match self.caps.secrets.get(&name) {
            Some(value) => {
                self.uses.push(CapabilityUse::Secret {
                    name,
                    granted: true,
                });
                Ok(value.expose().to_owned())
            }
            None => {
                let why = format!("secret `{name}` is not granted to this plugin");
                self.uses.push(CapabilityUse::Secret {
                    name,
                    granted: false,
                });
                Err(why)
            }
        }
    }
}

/// Add the `warrant:plugin` host imports to a linker.
pub(crate) fn add_host_api(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    bindings::Plugin::add_to_linker::<CallState, HasSelf<CallState>>(linker, |s| s)
}
