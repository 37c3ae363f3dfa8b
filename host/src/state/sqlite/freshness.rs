//! Plugin version high-water marks (rollback protection) and nonces
//! (replay protection) in SQLite.

use std::ops::Deref;

use rusqlite::{Connection, OptionalExtension as _, params};

use super::{Lite, SqliteState};
use crate::state::freshness::{self, Freshness, FreshnessTx};
use crate::state::{StateError, VersionMark, now_ms};
use crate::vocab::Version;

impl<C: Deref<Target = Connection>> FreshnessTx for Lite<'_, C> {
    async fn version(&mut self, plugin: &str) -> Result<Option<VersionMark>, StateError> {
        self.c
            .query_row(
                "SELECT major, minor, patch, manifest_digest, digest FROM plugin_versions WHERE plugin = ?1",
                params![plugin],
                |r| {
                    Ok(VersionMark {
                        version: Version {
                            major: r.get::<_, i64>(0)? as u64,
                            minor: r.get::<_, i64>(1)? as u64,
                            patch: r.get::<_, i64>(2)? as u64,
                        },
                        manifest_digest: r.get(3)?,
                        component_digest: r.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    async fn put_version(&mut self, plugin: &str, m: &VersionMark) -> Result<(), StateError> {
        let to_i = |x: u64| i64::try_from(x).unwrap_or(i64::MAX);
        let v = m.version;
        self.run(
            "INSERT INTO plugin_versions (plugin, version, major, minor, patch, digest, manifest_digest, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(plugin) DO UPDATE SET
                   version = excluded.version, major = excluded.major, minor = excluded.minor,
                   patch = excluded.patch, digest = excluded.digest,
                   manifest_digest = excluded.manifest_digest, at = excluded.at",
            params![plugin, v.to_string(), to_i(v.major), to_i(v.minor), to_i(v.patch), m.component_digest, m.manifest_digest, now_ms() ],
        )?;
        Ok(())
    }

    async fn delete_version(&mut self, plugin: &str) -> Result<(), StateError> {
        self.run(
            "DELETE FROM plugin_versions WHERE plugin = ?1",
            params![plugin],
        )
        .map(|_| ())
    }

    async fn prune_nonces(&mut self, now: i64) -> Result<(), StateError> {
        self.run("DELETE FROM nonces WHERE expires < ?1", params![now])
            .map(|_| ())
    }

    async fn insert_nonce(
        &mut self,
        nonce: &str,
        operator: &str,
        expires_ms: i64,
    ) -> Result<bool, StateError> {
        self.run(
            "INSERT OR IGNORE INTO nonces (nonce, operator, expires) VALUES (?1, ?2, ?3)",
            params![nonce, operator, expires_ms],
        )
        .map(|n| n == 1)
    }
}

#[async_trait::async_trait]
impl Freshness for SqliteState {
    async fn highest_version(&self, plugin: &str) -> Result<Option<VersionMark>, StateError> {
        self.read(&self.conn, async |mut r| r.version(plugin).await)
    }

    async fn record_version(&self, plugin: &str, mark: &VersionMark) -> Result<(), StateError> {
        self.write(&self.conn, async |tx| {
            freshness::record_version(tx, plugin, mark).await
        })
    }

    async fn reset_version(&self, plugin: &str) -> Result<Option<VersionMark>, StateError> {
        self.write(&self.conn, async |tx| {
            freshness::reset_version(tx, plugin).await
        })
    }

    async fn use_nonce(
        &self,
        nonce: &str,
        operator: &str,
        expires_ms: i64,
    ) -> Result<bool, StateError> {
        self.write(&self.conn, async |tx| {
            freshness::use_nonce(tx, nonce, operator, expires_ms).await
        })
    }
}
