//! What may only move forward or be used once: plugin version high-water
//! marks (rollback protection), operator actions' nonces and DPoP proofs'
//! `jti` (replay protection). Durable.
//!
//! The algorithms are here, once, over [`FreshnessTx`].

use super::tx::{Lock, Tx};
use super::{StateError, VersionMark, now_ms};

/// Version high-water marks and once-only nonces.
#[async_trait::async_trait]
pub trait Freshness: Send + Sync {
    /// The highest version of `plugin` loaded before, with its digests.
    async fn highest_version(&self, plugin: &str) -> Result<Option<VersionMark>, StateError>;

    /// Record that `plugin` was loaded as `mark`, if it is higher than the
    /// mark so far (or the first).
    async fn record_version(&self, plugin: &str, mark: &VersionMark) -> Result<(), StateError>;

    /// Forget a plugin's high-water mark (an operator's correction);
    /// returns the mark that was removed.
    async fn reset_version(&self, plugin: &str) -> Result<Option<VersionMark>, StateError>;

    /// Use an operator action's nonce, once: false when it was seen before.
    /// Nonces are kept until `expires_ms`.
    async fn use_nonce(
        &self,
        nonce: &str,
        operator: &str,
        expires_ms: i64,
    ) -> Result<bool, StateError>;

    /// Use a DPoP proof's `jti` (RFC 9449 §11.1), once across every host on
    /// this state: false when the proof was seen before. Kept until
    /// `expires_ms`, past which its `iat` is refused anyway.
    async fn use_dpop_jti(
        &self,
        jkt: &str,
        jti: &str,
        expires_ms: i64,
    ) -> Result<bool, StateError> {
        self.use_nonce(&format!("dpop:{jkt}:{jti}"), "dpop", expires_ms)
            .await
    }
}

/// The statements of version marks (`plugin_versions`) and nonces
/// (`nonces`).
pub(crate) trait FreshnessTx {
    /// `plugin`'s mark.
    async fn version(&mut self, plugin: &str) -> Result<Option<VersionMark>, StateError>;
    /// Store `mark` as `plugin`'s (replacing the one there).
    async fn put_version(&mut self, plugin: &str, mark: &VersionMark) -> Result<(), StateError>;
    /// Remove `plugin`'s mark.
    async fn delete_version(&mut self, plugin: &str) -> Result<(), StateError>;
    /// Forget the nonces that expired before `now`.
    async fn prune_nonces(&mut self, now: i64) -> Result<(), StateError>;
    /// Store a nonce unless it is there; whether it was not.
    async fn insert_nonce(
        &mut self,
        nonce: &str,
        operator: &str,
        expires_ms: i64,
    ) -> Result<bool, StateError>;
}

/// Whether `mark` replaces `old`: it is higher, or `old` was recorded
/// before marks had a manifest digest.
fn replaces(mark: &VersionMark, old: &VersionMark) -> bool {
    mark.version > old.version || old.manifest_digest.is_empty()
}

/// [`Freshness::record_version`] in `tx`, the plugin's mark locked.
pub(crate) async fn record_version<T: FreshnessTx + Tx>(
    mut tx: T,
    plugin: &str,
    mark: &VersionMark,
) -> Result<(), StateError> {
    tx.lock(Lock::Version, plugin).await?;
    if let Some(old) = tx.version(plugin).await?
        && !replaces(mark, &old)
    {
        return Ok(());
    }
    tx.put_version(plugin, mark).await?;
    tx.commit().await
}

/// [`Freshness::reset_version`] in `tx`.
pub(crate) async fn reset_version<T: FreshnessTx + Tx>(
    mut tx: T,
    plugin: &str,
) -> Result<Option<VersionMark>, StateError> {
    tx.lock(Lock::Version, plugin).await?;
    let old = tx.version(plugin).await?;
    tx.delete_version(plugin).await?;
    tx.commit().await?;
    Ok(old)
}

/// [`Freshness::use_nonce`] in `tx`: expired nonces go first.
pub(crate) async fn use_nonce<T: FreshnessTx + Tx>(
    mut tx: T,
    nonce: &str,
    operator: &str,
    expires_ms: i64,
) -> Result<bool, StateError> {
    tx.prune_nonces(now_ms()).await?;
    let fresh = tx.insert_nonce(nonce, operator, expires_ms).await?;
    tx.commit().await?;
    Ok(fresh)
}
