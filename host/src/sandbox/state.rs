//! The per-call store state: a WASI context built only from grants, the
//! resource limiter, the record of capability uses, and what the plugin
//! tried to let out.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::capability::http::HttpGate;
use crate::capability::{CallView, Capabilities, CapabilityUse, Watch, secrets};
use crate::sandbox::bindings;
use crate::sandbox::footprint::Footprint;
use crate::sandbox::stdio::BoundedPipe;
use crate::vocab::CancelToken;

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
    pub(crate) watch: Arc<Watch>,
    /// The first place the plugin put a watched value, and its name.
    pub(crate) blocked: Option<(String, &'static str)>,
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

impl CallView for CallState {
    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    fn record(&mut self, u: CapabilityUse) {
        self.uses.push(u);
    }
}

impl CallState {
    /// Whether `text` holds a watched value: if so, remember where (the
    /// call will fail) and say which.
    pub(crate) fn leaks(&mut self, text: &str, place: &'static str) -> Option<String> {
        let name = self.watch.find(text)?;
        if self.blocked.is_none() {
            self.blocked = Some((name.clone(), place));
        }
        Some(name)
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
        if let Some(name) = self.leaks(&message, "a log line") {
            tracing::warn!(target: "warrant::plugin", plugin = %self.plugin, "a log line holding the value of {name} was blocked");
            return;
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
        let (answer, used) = secrets::read(&self.caps, &name);
        self.uses.push(CapabilityUse::Secrets(used));
        answer
    }
}
