//! The floor: the fastest plain-wasmtime path to the same call. The engine
//! the host builds (same settings: pooling allocator, epoch interruption,
//! stack size), typed bindings generated from the same WIT (`bindgen!`), a
//! fresh store and instance for every call, an empty WASI context, and host
//! imports that do nothing — everything a plain embedder needs, nothing
//! warrant adds.

use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

wasmtime::component::bindgen!({
    path: "../plugin-sdk/wit",
    world: "plugin",
    exports: { default: async },
});

/// Store data of the raw floor.
pub struct RawState {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for RawState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl warrant::plugin::types::Host for RawState {}

impl warrant::plugin::host::Host for RawState {
    fn log(&mut self, _level: warrant::plugin::host::Level, _message: String) {}

    fn secret(&mut self, _name: String) -> Result<String, String> {
        Err("no secrets".into())
    }
}

/// A pre-instantiated component on the host's engine settings. Cheap to
/// clone.
#[derive(Clone)]
pub struct Raw {
    engine: Engine,
    pre: PluginPre<RawState>,
}

impl Raw {
    /// Build the host's engine, compile `bytes` and pre-instantiate it.
    pub fn new(bytes: &[u8]) -> anyhow::Result<Self> {
        let engine =
            ::warrant::sandbox::build_engine(&::warrant::sandbox::SandboxConfig::default())?;
        let component = Component::new(&engine, bytes)?;
        let mut linker: Linker<RawState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        Plugin::add_to_linker::<RawState, HasSelf<RawState>>(&mut linker, |s| s)?;
        let pre = PluginPre::new(linker.instantiate_pre(&component)?)?;
        // The host's engine interrupts by epoch; the floor never does.
        Ok(Self { engine, pre })
    }

    /// Fresh store, fresh instance, one typed call, drop.
    pub async fn call(&self, tool: &str, input: &str) -> anyhow::Result<()> {
        let mut store = Store::new(
            &self.engine,
            RawState {
                wasi: WasiCtx::builder().build(),
                table: ResourceTable::new(),
            },
        );
        store.set_epoch_deadline(u64::MAX / 2);
        let plugin = self.pre.instantiate_async(&mut store).await?;
        match plugin.call_call(&mut store, tool, input).await? {
            Ok(_) => Ok(()),
            Err(e) => Err(anyhow::anyhow!("the call failed: {e:?}")),
        }
    }
}
