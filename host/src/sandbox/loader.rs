//! Loading components: the engine, the compiled-component cache, the
//! linkers, the import check and pre-instantiation.

use wasmtime::Engine;
use wasmtime::component::{Component, Linker};

use crate::sandbox::LoadError;
use crate::sandbox::bindings::PluginPre;
use crate::sandbox::cache::{CacheOutcome, ComponentCache};
use crate::sandbox::capabilities::Capabilities;
use crate::sandbox::engine::{EpochTicker, SandboxConfig, build_engine};
use crate::sandbox::imports::{
    ComponentInterface, ImportClass, check_imports, classify, component_interface,
};
use crate::sandbox::plugin::LoadedPlugin;
use crate::sandbox::state::{CallState, add_host_api};
use crate::vocab::Bytes;

/// The host's sandbox: one engine, its epoch ticker, the compiled-component
/// cache and the linkers.
pub struct Sandbox {
    engine: Engine,
    config: SandboxConfig,
    cache: ComponentCache,
    base_linker: Linker<CallState>,
    http_linker: Linker<CallState>,
    tls: std::sync::Arc<rustls::ClientConfig>,
    _ticker: EpochTicker,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("config", &self.config)
            .finish()
    }
}

impl Sandbox {
    /// Create the engine, start its epoch ticker and prepare the linkers.
    ///
    /// # Errors
    ///
    /// [`LoadError`] when the engine or the cache directory cannot be set up.
    pub fn new(config: SandboxConfig) -> Result<Self, LoadError> {
        let engine = build_engine(&config).map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        let cache = ComponentCache::new(&engine, config.cache_dir.clone())?;
        let base_linker = base_linker(&engine).map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        let mut http_linker = base_linker.clone();
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut http_linker)
            .map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        let tls = crate::outbound::tls_config(&config.extra_ca_files).map_err(LoadError::Grant)?;
        let ticker = EpochTicker::start(engine.clone(), config.epoch_tick);
        Ok(Self {
            engine,
            config,
            cache,
            base_linker,
            http_linker,
            tls,
            _ticker: ticker,
        })
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The configuration this sandbox was built with.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// Load a component as a plugin with the given capabilities: check its
    /// imports against the grants, compile it (or take it from the cache),
    /// pre-instantiate it and ask it for its tools.
    ///
    /// `digest_hex` is the SHA-256 of `bytes` (the cache key); the caller has
    /// already checked it against the signed manifest.
    ///
    /// # Errors
    ///
    /// [`LoadError`] naming the refused import, the unusable grant or limit,
    /// or why the component is not a plugin.
    pub async fn load(
        &self,
        id: &str,
        bytes: &[u8],
        digest_hex: &str,
        caps: Capabilities,
    ) -> Result<LoadedPlugin, LoadError> {
        let interface = component_interface(bytes)?;
        check_imports(&interface, !caps.http.is_empty())?;
        self.check_limits(&caps)?;
        for grant in &caps.files {
            if !grant.host.is_dir() {
                return Err(LoadError::Grant(format!(
                    "granted directory {} (for {}) does not exist or is not a directory",
                    grant.host.display(),
                    grant.guest
                )));
            }
        }
        let (component, cache) = self.cache.get_or_compile(&self.engine, bytes, digest_hex)?;
        let linker = if caps.http.is_empty() {
            &self.base_linker
        } else {
            &self.http_linker
        };
        self.prepare(id, component, linker, caps, interface, cache)
            .await
    }

    /// Compile a component with no grants at all and ask it for its tools,
    /// for review (`warrant inspect`, `warrant sign`). Imports that a grant
    /// could allow are linked inert; imports the host never provides are
    /// reported as the error.
    ///
    /// # Errors
    ///
    /// [`LoadError`] when the component cannot be loaded even for review.
    pub async fn probe(&self, bytes: &[u8]) -> Result<LoadedPlugin, LoadError> {
        let interface = component_interface(bytes)?;
        let wants_http = interface
            .imports
            .iter()
            .any(|i| classify(i) == ImportClass::Http);
        check_imports(&interface, true)?;
        let component = Component::new(&self.engine, bytes)
            .map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        let linker = if wants_http {
            &self.http_linker
        } else {
            &self.base_linker
        };
        self.prepare(
            "(review)",
            component,
            linker,
            Capabilities::default(),
            interface,
            CacheOutcome::Compiled,
        )
        .await
    }

    fn check_limits(&self, caps: &Capabilities) -> Result<(), LoadError> {
        if caps.limits.memory > self.config.max_memory {
            return Err(LoadError::Limit(format!(
                "memory {} is above this host's per-plugin maximum of {}",
                Bytes(caps.limits.memory),
                Bytes(self.config.max_memory)
            )));
        }
        if caps.limits.fuel.is_some() && !self.config.fuel {
            return Err(LoadError::Limit(
                "a fuel limit needs fuel metering, which this host has off \
                 (set `fuel = true` under [sandbox] in the host config)"
                    .into(),
            ));
        }
        if caps.limits.max_instances == 0 || caps.limits.timeout.is_zero() {
            return Err(LoadError::Limit(
                "timeout and max-instances must be above zero".into(),
            ));
        }
        Ok(())
    }

    async fn prepare(
        &self,
        id: &str,
        component: Component,
        linker: &Linker<CallState>,
        caps: Capabilities,
        interface: ComponentInterface,
        cache: CacheOutcome,
    ) -> Result<LoadedPlugin, LoadError> {
        let pre = linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Invalid(format!("cannot link: {e:#}")))?;
        let pre = PluginPre::new(pre).map_err(|e| LoadError::NotAPlugin(format!("{e:#}")))?;
        LoadedPlugin::prepare(
            id,
            pre,
            caps,
            self.config.fuel,
            interface,
            cache,
            std::sync::Arc::clone(&self.tls),
        )
        .await
    }
}

fn base_linker(engine: &Engine) -> wasmtime::Result<Linker<CallState>> {
    use wasmtime_wasi::WasiView as _;
    use wasmtime_wasi::cli::{WasiCli, WasiCliView as _};
    use wasmtime_wasi::filesystem::{WasiFilesystem, WasiFilesystemView as _};
    use wasmtime_wasi::p2::bindings::{cli, filesystem, random};
    use wasmtime_wasi::random::WasiRandom;

    let mut l: Linker<CallState> = Linker::new(engine);
    // The baseline every Rust wasip2 component imports (io, clocks, random,
    // stdio, filesystem, environment, exit, terminals); no sockets, ever.
    wasmtime_wasi::p2::add_to_linker_proxy_interfaces_async(&mut l)?;
    filesystem::types::add_to_linker::<CallState, WasiFilesystem>(&mut l, CallState::filesystem)?;
    filesystem::preopens::add_to_linker::<CallState, WasiFilesystem>(
        &mut l,
        CallState::filesystem,
    )?;
    random::insecure::add_to_linker::<CallState, WasiRandom>(&mut l, |t| t.ctx().ctx.random())?;
    random::insecure_seed::add_to_linker::<CallState, WasiRandom>(&mut l, |t| {
        t.ctx().ctx.random()
    })?;
    cli::exit::add_to_linker::<CallState, WasiCli>(&mut l, CallState::cli)?;
    cli::environment::add_to_linker::<CallState, WasiCli>(&mut l, CallState::cli)?;
    cli::terminal_input::add_to_linker::<CallState, WasiCli>(&mut l, CallState::cli)?;
    cli::terminal_output::add_to_linker::<CallState, WasiCli>(&mut l, CallState::cli)?;
    cli::terminal_stdin::add_to_linker::<CallState, WasiCli>(&mut l, CallState::cli)?;
    cli::terminal_stdout::add_to_linker::<CallState, WasiCli>(&mut l, CallState::cli)?;
    cli::terminal_stderr::add_to_linker::<CallState, WasiCli>(&mut l, CallState::cli)?;
    add_host_api(&mut l)?;
    Ok(l)
}
