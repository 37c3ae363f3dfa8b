//! Loading components: the engine, the compiled-component cache, the
//! import check, each plugin's linker composed from its grants, and
//! pre-instantiation.

use wasmtime::Engine;
use wasmtime::component::Component;

use crate::capability::Capabilities;
use crate::sandbox::LoadError;
use crate::sandbox::bindings::PluginPre;
use crate::sandbox::cache::{CacheOutcome, ComponentCache};
use crate::sandbox::checked::Checked;
use crate::sandbox::engine::{EpochTicker, SandboxConfig, build_engine};
use crate::sandbox::footprint::footprint;
use crate::sandbox::imports::{check_imports_with, component_interface};
use crate::sandbox::linking::compose;
use crate::sandbox::plugin::LoadedPlugin;
use crate::vocab::Bytes;

/// The host's sandbox: one engine, its epoch ticker and the
/// compiled-component cache.
pub struct Sandbox {
    engine: Engine,
    config: SandboxConfig,
    cache: ComponentCache,
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
    /// Create the engine and start its epoch ticker.
    ///
    /// # Errors
    ///
    /// [`LoadError`] when the engine or the cache directory cannot be set up.
    pub fn new(config: SandboxConfig) -> Result<Self, LoadError> {
        let engine = build_engine(&config).map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        let cache = ComponentCache::new(&engine, config.cache_dir.clone())?;
        let tls = crate::outbound::tls_config(&config.extra_ca_files).map_err(LoadError::Grant)?;
        let ticker = EpochTicker::start(engine.clone(), config.epoch_tick);
        Ok(Self {
            engine,
            config,
            cache,
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

    /// Check a component against capabilities without compiling it: every
    /// import against the grants, the limits against this host's maximums,
    /// and what one instantiation creates against the ceiling. The same
    /// checks run when a host loads a plugin, when `warrant sign` signs one
    /// and when `warrant inspect` reviews one.
    ///
    /// # Errors
    ///
    /// [`LoadError`] naming the refused import or limit.
    pub fn check(&self, bytes: &[u8], caps: &Capabilities) -> Result<Checked, LoadError> {
        self.check_with(bytes, caps, false)
    }

    fn check_with(
        &self,
        bytes: &[u8],
        caps: &Capabilities,
        probe: bool,
    ) -> Result<Checked, LoadError> {
        let interface = component_interface(bytes)?;
        check_imports_with(&interface, (!probe).then_some(caps))?;
        let limits = &caps.limits;
        self.check_limits(limits)?;
        let footprint = footprint(bytes)?;
        // Every call would fail: the author hears it at signing, not from
        // a host.
        if footprint.initial_memory > limits.memory {
            return Err(LoadError::Limit(format!(
                "the component's memory starts at {}, above its memory limit of {}; raise \
                 `memory` under [limits] in the manifest",
                Bytes(footprint.initial_memory),
                Bytes(limits.memory)
            )));
        }
        if footprint.core_instances > self.config.max_core_instances {
            return Err(LoadError::Limit(format!(
                "one instantiation of this component creates {} core instances, above this \
                 host's ceiling of {} (`max-core-instances` under [sandbox] in the host config)",
                footprint.core_instances, self.config.max_core_instances
            )));
        }
        Ok(Checked {
            interface,
            footprint,
        })
    }

    /// Load a component as a plugin with the given capabilities: check it
    /// ([`Sandbox::check`]), compile it (or take it from the cache),
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
        let checked = self.check(bytes, &caps)?;
        caps.ready().map_err(LoadError::Grant)?;
        let (component, cache) = self.cache.get_or_compile(&self.engine, bytes, digest_hex)?;
        self.prepare(id, component, caps, checked, cache, false)
            .await
    }

    /// Check a component against the capabilities its manifest asks for
    /// ([`Sandbox::check`]), compile it and ask it for its tools — for
    /// review (`warrant sign`, `warrant inspect`). No directory is mapped:
    /// the review needs none, and the operator places them.
    ///
    /// # Errors
    ///
    /// [`LoadError`] naming what a host would refuse.
    pub async fn review(
        &self,
        bytes: &[u8],
        caps: &Capabilities,
    ) -> Result<LoadedPlugin, LoadError> {
        let checked = self.check(bytes, caps)?;
        let caps = caps.for_review();
        let digest = crate::keys::sha256_hex(bytes);
        let (component, cache) = self.cache.get_or_compile(&self.engine, bytes, &digest)?;
        self.prepare("(review)", component, caps, checked, cache, false)
            .await
    }

    /// Compile a component with no grants at all and ask it for its tools,
    /// for review without a manifest (`warrant inspect x.wasm`). Imports
    /// that a grant could allow are linked inert; imports the host never
    /// provides are reported as the error.
    ///
    /// # Errors
    ///
    /// [`LoadError`] when the component cannot be loaded even for review.
    pub async fn probe(&self, bytes: &[u8]) -> Result<LoadedPlugin, LoadError> {
        let caps = Capabilities::default();
        let checked = self.check_with(bytes, &caps, true)?;
        let digest = crate::keys::sha256_hex(bytes);
        let (component, cache) = self.cache.get_or_compile(&self.engine, bytes, &digest)?;
        self.prepare("(review)", component, caps, checked, cache, true)
            .await
    }

    fn check_limits(&self, limits: &crate::vocab::Limits) -> Result<(), LoadError> {
        if limits.memory > self.config.max_memory {
            return Err(LoadError::Limit(format!(
                "memory {} is above this host's per-plugin maximum of {}",
                Bytes(limits.memory),
                Bytes(self.config.max_memory)
            )));
        }
        if limits.fuel.is_some() && !self.config.fuel {
            return Err(LoadError::Limit(
                "a fuel limit needs fuel metering, which this host has off \
                 (set `fuel = true` under [sandbox] in the host config)"
                    .into(),
            ));
        }
        if limits.max_instances == 0 || limits.timeout.is_zero() {
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
        caps: Capabilities,
        checked: Checked,
        cache: CacheOutcome,
        probe: bool,
    ) -> Result<LoadedPlugin, LoadError> {
        let imports = probe.then_some(checked.interface.imports.as_slice());
        let linker = compose(&self.engine, &caps, imports)
            .map_err(|e| LoadError::Invalid(format!("cannot link: {e:#}")))?;
        let pre = linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Invalid(format!("cannot link: {e:#}")))?;
        let pre = PluginPre::new(pre).map_err(|e| LoadError::NotAPlugin(format!("{e:#}")))?;
        LoadedPlugin::prepare(
            id,
            pre,
            caps,
            self.config.fuel,
            checked,
            cache,
            std::sync::Arc::clone(&self.tls),
        )
        .await
    }
}
