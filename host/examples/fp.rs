fn main() {
    for p in std::env::args().skip(1) {
        let bytes = std::fs::read(&p).unwrap();
        let fp = warrant::sandbox::footprint(&bytes).unwrap();
        let mut pool = wasmtime::PoolingAllocationConfig::default();
        pool.max_core_instances_per_component(1)
            .max_memories_per_component(0)
            .max_tables_per_component(0);
        let mut c = wasmtime::Config::new();
        c.wasm_component_model(true)
            .allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
        let e = wasmtime::Engine::new(&c).unwrap();
        let r = wasmtime::component::Component::new(&e, &bytes)
            .map(|_| ())
            .map_err(|e| format!("{e:#}"));
        let mut c2 = wasmtime::Config::new();
        c2.wasm_component_model(true);
        let e2 = wasmtime::Engine::new(&c2).unwrap();
        let comp = wasmtime::component::Component::new(&e2, &bytes).unwrap();
        let rr = comp.resources_required();
        println!(
            "{p}: ours {fp:?}\n  wasmtime: {r:?}\n  rr: {:?}",
            rr.map(|r| (
                r.num_memories,
                r.max_initial_memory_size,
                r.num_tables,
                r.max_initial_table_size
            ))
        );
    }
}
