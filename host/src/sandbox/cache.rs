//! Compiled components, cached on disk keyed by the component's digest and
//! the engine's configuration, so that a component is compiled once.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

use crate::privfs::create_private_dir;
use crate::sandbox::LoadError;

/// The on-disk cache. Writes are atomic (temporary file, then rename).
#[derive(Debug, Clone)]
pub(crate) struct ComponentCache {
    dir: Option<PathBuf>,
    engine_key: String,
}

impl ComponentCache {
    pub(crate) fn new(engine: &Engine, dir: Option<PathBuf>) -> Result<Self, LoadError> {
        let mut h = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        env!("CARGO_PKG_VERSION").hash(&mut h);
        if let Some(dir) = &dir {
            create_private_dir(dir)
                .map_err(|e| LoadError::Cache(format!("cannot create {}: {e}", dir.display())))?;
        }
        Ok(Self {
            dir,
            engine_key: format!("{:016x}", h.finish()),
        })
    }

    fn path_for(&self, digest_hex: &str) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join(format!("{digest_hex}-{}.cwasm", self.engine_key)))
    }

    /// The compiled component for `bytes` (whose SHA-256 is `digest_hex`),
    /// from the cache when present, else compiled and stored.
    pub(crate) fn get_or_compile(
        &self,
        engine: &Engine,
        bytes: &[u8],
        digest_hex: &str,
    ) -> Result<(Component, CacheOutcome), LoadError> {
        if let Some(path) = self.path_for(digest_hex)
            && path.exists()
        {
            match load_cached(engine, &path) {
                Ok(c) => return Ok((c, CacheOutcome::Hit)),
                Err(e) => {
                    tracing::warn!("ignoring cached {}: {e}", path.display());
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        let component =
            Component::new(engine, bytes).map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        if let Some(path) = self.path_for(digest_hex)
            && let Err(e) = store(&component, &path)
        {
            tracing::warn!("could not cache compiled component: {e}");
        }
        Ok((component, CacheOutcome::Compiled))
    }
}

/// Whether a component came from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded precompiled from disk.
    Hit,
    /// Compiled now.
    Compiled,
}

fn store(component: &Component, path: &Path) -> std::io::Result<()> {
    let bytes = component.serialize().map_err(std::io::Error::other)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn load_cached(engine: &Engine, path: &Path) -> Result<Component, String> {
    check_private(path)?;
    // SAFETY: `deserialize_file` trusts the file to be an artifact that
    // wasmtime produced. The cache directory is created by this host with
    // mode 0700, the file is written only by `store` above, and
    // `check_private` refused it unless this user owns it and nobody else can
    // write it; wasmtime also checks the header and engine compatibility.
    #[allow(unsafe_code)]
    let component = unsafe { Component::deserialize_file(engine, path) };
    component.map_err(|e| format!("{e:#}"))
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    let dir_meta = path
        .parent()
        .map(std::fs::metadata)
        .transpose()
        .map_err(|e| e.to_string())?;
    // SAFETY-free check of ownership: the euid is not exposed by std, so
    // compare with the owner of the directory this host created.
    let owner = dir_meta.as_ref().map(MetadataExt::uid);
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if Some(meta.uid()) != owner {
        return Err("owned by another user".into());
    }
    if meta.mode() & 0o022 != 0 || dir_meta.is_some_and(|d| d.mode() & 0o022 != 0) {
        return Err("writable by other users".into());
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), String> {
    Ok(())
}
