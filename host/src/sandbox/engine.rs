//! The one wasmtime `Engine` of a host, and the epoch ticker that enforces
//! time limits and cancellation.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How the host's sandbox is set up. [`SandboxConfig::default`] documents
/// every default.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where compiled components are cached; `None` compiles in memory every
    /// time the host starts.
    pub cache_dir: Option<PathBuf>,
    /// The most memory any one plugin may be granted (the pool's slot size).
    pub max_memory: u64,
    /// Component instances alive at once across all plugins.
    pub max_instances: u32,
    /// The most core instances one instantiation of a plugin may create
    /// (a Rust component creates a handful, a Python one about forty): a
    /// component above it is refused at load. Each plugin's own limit is
    /// its component's count.
    pub max_core_instances: u32,
    /// Meter fuel, so manifests may set a deterministic CPU budget. Costs
    /// some speed on every call, so it is off unless asked for.
    pub fuel: bool,
    /// How often the epoch ticks: the granularity of time limits and of
    /// cancellation.
    pub epoch_tick: Duration,
    /// PEM files of CAs trusted for plugins' HTTPS besides the public web's
    /// roots.
    pub extra_ca_files: Vec<PathBuf>,
}

/// The default ceiling of [`SandboxConfig::max_core_instances`].
pub const DEFAULT_MAX_CORE_INSTANCES: u32 = 100;

impl Default for SandboxConfig {
    /// No disk cache, 1 GiB per plugin at most, 512 instances at once, at
    /// most 100 core instances per plugin instance, no fuel metering, a 5 ms
    /// epoch tick, the public web's TLS roots only.
    fn default() -> Self {
        Self {
            cache_dir: None,
            max_memory: 1 << 30,
            max_instances: 512,
            max_core_instances: DEFAULT_MAX_CORE_INSTANCES,
            fuel: false,
            epoch_tick: Duration::from_millis(5),
            extra_ca_files: Vec::new(),
        }
    }
}

/// Build the engine: component model, epoch interruption, optional fuel, a
/// small wasm stack, and the pooling allocator (falling back to on-demand
/// allocation where the pool cannot be reserved).
pub fn build_engine(cfg: &SandboxConfig) -> wasmtime::Result<Engine> {
    let mut config = base_config(cfg);
    let mut pool = PoolingAllocationConfig::default();
    let n = cfg.max_instances;
    pool.total_component_instances(n)
        .total_core_instances(n.saturating_mul(8))
        .total_memories(n.saturating_mul(2))
        .total_tables(n.saturating_mul(8))
        .total_stacks(n)
        .max_memory_size(usize::try_from(cfg.max_memory).unwrap_or(usize::MAX))
        .linear_memory_keep_resident(64 * 1024)
        .table_keep_resident(16 * 1024)
        .pagemap_scan(Enabled::Auto);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    match Engine::new(&config) {
        Ok(engine) => Ok(engine),
        Err(e) => {
            tracing::warn!("pooling allocator unavailable ({e}); using on-demand allocation");
            Engine::new(&base_config(cfg))
        }
    }
}

fn base_config(cfg: &SandboxConfig) -> Config {
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .consume_fuel(cfg.fuel)
        .max_wasm_stack(512 * 1024);
    config
}

/// Increments the engine's epoch every tick until dropped.
#[derive(Debug)]
pub(crate) struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    pub(crate) fn start(engine: Engine, tick: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("warrant-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(tick);
                    engine.increment_epoch();
                }
            })
            .ok();
        Self { stop, thread }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
