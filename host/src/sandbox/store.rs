//! A fresh store for one call of a loaded plugin: its WASI context and
//! HTTP gate built from the grants, the limiter, fuel and the epoch
//! deadline that enforces the time limit and cancellation.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::ResourceTable;
use wasmtime::{Engine, Store, UpdateDeadline};
use wasmtime_wasi_http::WasiHttpCtx;

use crate::capability::http::HttpGate;
use crate::sandbox::CallFailure;
use crate::sandbox::bindings::PluginPre;
use crate::sandbox::footprint::with_slack;
use crate::sandbox::outcome::{MAX_FIELD_BYTES, MAX_RESOURCES};
use crate::sandbox::plugin::LoadedPlugin;
use crate::sandbox::state::{CallState, Interrupt, Limiter};
use crate::sandbox::stdio::BoundedPipe;
use crate::sandbox::wasi::build_wasi;
use crate::vocab::CancelToken;

impl LoadedPlugin {
    pub(crate) fn new_store(&self, cancel: &CancelToken) -> Result<Store<CallState>, CallFailure> {
        let inner = &self.inner;
        let limits = inner.caps.limits;
        let stdout = BoundedPipe::default();
        let stderr = BoundedPipe::default();
        let wasi = build_wasi(&inner.caps, &stdout, &stderr)
            .map_err(|e| CallFailure::Host(e.to_string()))?;
        let mut table = ResourceTable::new();
        table.set_max_capacity(MAX_RESOURCES);
        let mut http = WasiHttpCtx::new();
        http.set_field_size_limit(MAX_FIELD_BYTES);
        let state = CallState {
            plugin: Arc::clone(&inner.id),
            caps: Arc::clone(&inner.caps),
            watch: Arc::clone(&inner.watch),
            blocked: None,
            wasi,
            http,
            http_gate: HttpGate::new(
                Arc::clone(&inner.http),
                inner.caps.http.stub,
                Arc::clone(&inner.credentials),
                Arc::clone(&inner.watch),
                Arc::clone(&inner.tls),
            ),
            table,
            limiter: Limiter {
                memory: usize::try_from(limits.memory).unwrap_or(usize::MAX),
                memory_hit: false,
                footprint: with_slack(inner.footprint),
            },
            stdout,
            stderr,
            uses: Vec::new(),
            log_lines: 0,
            deadline: Instant::now() + limits.timeout,
            cancel: cancel.clone(),
            interrupt: None,
        };
        let mut store = Store::new(pre_engine(&inner.pre), state);
        store.limiter(|s| &mut s.limiter);
        if inner.fuel {
            store
                .set_fuel(limits.fuel.unwrap_or(u64::MAX))
                .map_err(|e| CallFailure::Host(format!("{e:#}")))?;
        }
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut ctx| {
            let state = ctx.data_mut();
            if state.cancel.is_cancelled() {
                state.interrupt = Some(Interrupt::Cancelled);
                return Ok(UpdateDeadline::Interrupt);
            }
            if Instant::now() >= state.deadline {
                state.interrupt = Some(Interrupt::Timeout);
                return Ok(UpdateDeadline::Interrupt);
            }
            Ok(UpdateDeadline::Yield(1))
        });
        Ok(store)
    }
}

fn pre_engine(pre: &PluginPre<CallState>) -> &Engine {
    pre.engine()
}
