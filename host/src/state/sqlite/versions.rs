//! Plugin version high-water marks in SQLite (rollback protection).

use rusqlite::{OptionalExtension as _, params};

use super::SqliteState;
use crate::state::{StateError, VersionMark, now_ms};
use crate::vocab::Version;

impl SqliteState {
    pub(super) fn read_version(&self, plugin: &str) -> Result<Option<VersionMark>, StateError> {
        self.conn()
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

    pub(super) fn write_version(&self, plugin: &str, m: &VersionMark) -> Result<(), StateError> {
        let to_i = |x: u64| i64::try_from(x).unwrap_or(i64::MAX);
        let v = m.version;
        self.conn()
            .execute(
                "INSERT INTO plugin_versions (plugin, version, major, minor, patch, digest, manifest_digest, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(plugin) DO UPDATE SET
                   version = excluded.version, major = excluded.major, minor = excluded.minor,
                   patch = excluded.patch, digest = excluded.digest,
                   manifest_digest = excluded.manifest_digest, at = excluded.at
                 WHERE (excluded.major, excluded.minor, excluded.patch) > (major, minor, patch)
                    OR manifest_digest = ''",
                params![
                    plugin,
                    v.to_string(),
                    to_i(v.major),
                    to_i(v.minor),
                    to_i(v.patch),
                    m.component_digest,
                    m.manifest_digest,
                    now_ms()
                ],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    pub(super) fn delete_version(&self, plugin: &str) -> Result<Option<VersionMark>, StateError> {
        let old = self.read_version(plugin)?;
        self.conn()
            .execute(
                "DELETE FROM plugin_versions WHERE plugin = ?1",
                params![plugin],
            )
            .map_err(|e| self.err(e))?;
        Ok(old)
    }
}
