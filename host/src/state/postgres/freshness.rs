//! Plugin version high-water marks (rollback protection) and nonces
//! (replay protection) in PostgreSQL, shared by the fleet.

use deadpool_postgres::GenericClient;

use super::PostgresState;
use super::tx::Pg;
use crate::state::freshness::{self, Freshness, FreshnessTx};
use crate::state::{StateError, VersionMark, now_ms};
use crate::vocab::Version;

impl<C: GenericClient> FreshnessTx for Pg<'_, C> {
    async fn version(&mut self, plugin: &str) -> Result<Option<VersionMark>, StateError> {
        let r = self
            .c
            .query_opt(
                "SELECT major, minor, patch, manifest_digest, digest FROM plugin_versions WHERE plugin = $1",
                &[&plugin],
            )
            .await
            .map_err(|e| self.err(e))?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(r.map(|r| VersionMark {
            version: Version {
                major: n(r.get(0)),
                minor: n(r.get(1)),
                patch: n(r.get(2)),
            },
            manifest_digest: r.get(3),
            component_digest: r.get(4),
        }))
    }

    async fn put_version(&mut self, plugin: &str, m: &VersionMark) -> Result<(), StateError> {
        let i = |x: u64| i64::try_from(x).unwrap_or(i64::MAX);
        let v = m.version;
        self.run(
            "INSERT INTO plugin_versions (plugin, version, major, minor, patch, digest, manifest_digest, at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (plugin) DO UPDATE SET
                   version = excluded.version, major = excluded.major, minor = excluded.minor,
                   patch = excluded.patch, digest = excluded.digest,
                   manifest_digest = excluded.manifest_digest, at = excluded.at",
            &[&plugin, &v.to_string(), &i(v.major), &i(v.minor), &i(v.patch), &m.component_digest, &m.manifest_digest, &now_ms()],
        )
        .await?;
        Ok(())
    }

    async fn delete_version(&mut self, plugin: &str) -> Result<(), StateError> {
        self.run("DELETE FROM plugin_versions WHERE plugin = $1", &[&plugin])
            .await
            .map(|_| ())
    }

    async fn prune_nonces(&mut self, now: i64) -> Result<(), StateError> {
        self.run("DELETE FROM nonces WHERE expires < $1", &[&now])
            .await
            .map(|_| ())
    }

    async fn insert_nonce(
        &mut self,
        nonce: &str,
        operator: &str,
        expires_ms: i64,
    ) -> Result<bool, StateError> {
        let n = self.run(
            "INSERT INTO nonces (nonce, operator, expires) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&nonce, &operator, &expires_ms],
        )
        .await?;
        Ok(n == 1)
    }
}

#[async_trait::async_trait]
impl Freshness for PostgresState {
    async fn highest_version(&self, plugin: &str) -> Result<Option<VersionMark>, StateError> {
        self.reading().await?.version(plugin).await
    }

    async fn record_version(&self, plugin: &str, mark: &VersionMark) -> Result<(), StateError> {
        let mut c = self.client().await?;
        freshness::record_version(self.begin(&mut c).await?, plugin, mark).await
    }

    async fn reset_version(&self, plugin: &str) -> Result<Option<VersionMark>, StateError> {
        let mut c = self.client().await?;
        freshness::reset_version(self.begin(&mut c).await?, plugin).await
    }

    async fn use_nonce(
        &self,
        nonce: &str,
        operator: &str,
        expires_ms: i64,
    ) -> Result<bool, StateError> {
        let mut c = self.client().await?;
        freshness::use_nonce(self.begin(&mut c).await?, nonce, operator, expires_ms).await
    }
}
