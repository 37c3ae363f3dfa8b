//! The floor: plain wasmtime, no mediation. A fresh store and instance of
//! the same component for every call, with the pooling allocator, a WASI
//! context and stub host imports — nothing warrant adds.

use wasmtime::component::{Component, InstancePre, Linker, ResourceTable, Val};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

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

/// A pre-instantiated component on a plain engine. Cheap to clone.
#[derive(Clone)]
pub struct Raw {
    engine: Engine,
    pre: InstancePre<RawState>,
}

impl Raw {
    /// Compile `bytes` on a pooling engine and pre-instantiate it.
    pub fn new(bytes: &[u8]) -> anyhow::Result<Self> {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(256)
            .total_core_instances(2048)
            .total_memories(512)
            .total_tables(2048)
            .total_stacks(256)
            .max_memory_size(1 << 30)
            .linear_memory_keep_resident(64 * 1024)
            .table_keep_resident(16 * 1024)
            .pagemap_scan(Enabled::Auto);
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config)?;
        let component = Component::new(&engine, bytes)?;
        let mut linker: Linker<RawState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        linker.instance("warrant:plugin/types@0.1.0")?;
        let mut host = linker.instance("warrant:plugin/host@0.1.0")?;
        host.func_new("log", |_, _, _, _| Ok(()))?;
        host.func_new("secret", |_, _, _, results| {
            results[0] = Val::Result(Err(Some(Box::new(Val::String("no secrets".into())))));
            Ok(())
        })?;
        let pre = linker.instantiate_pre(&component)?;
        Ok(Self { engine, pre })
    }

    /// Fresh store, fresh instance, one call, drop.
    pub async fn call(&self, tool: &str, input: &str) -> anyhow::Result<()> {
        let mut store = Store::new(
            &self.engine,
            RawState {
                wasi: WasiCtx::builder().build(),
                table: ResourceTable::new(),
            },
        );
        let instance = self.pre.instantiate_async(&mut store).await?;
        let func = instance
            .get_func(&mut store, "call")
            .ok_or_else(|| anyhow::anyhow!("no call export"))?;
        let mut results = [Val::Bool(false)];
        func.call_async(
            &mut store,
            &[Val::String(tool.into()), Val::String(input.into())],
            &mut results,
        )
        .await?;
        match &results[0] {
            Val::Result(Ok(_)) => Ok(()),
            other => Err(anyhow::anyhow!("the call failed: {other:?}")),
        }
    }
}
