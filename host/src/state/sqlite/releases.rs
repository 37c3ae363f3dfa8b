//! Releases of the rules in SQLite: the releases in force (one row per
//! version), the content of the files they name, proposals with the
//! signatures gathered for them, and reload requests.

use std::ops::Deref;

use rusqlite::{Connection, OptionalExtension as _, params};

use super::{Lite, SqliteState};
use crate::state::releases::{self, Releases, ReleasesTx, proposal};
use crate::state::{Proposal, StateError, StoredRelease};

const COLUMNS: &str = "version, digest, doc, signatures, applied_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRelease> {
    Ok(StoredRelease {
        version: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
        digest: r.get(1)?,
        doc: r.get(2)?,
        signatures: r.get(3)?,
        applied_ms: r.get(4)?,
    })
}

impl<C: Deref<Target = Connection>> ReleasesTx for Lite<'_, C> {
    async fn highest_release(&mut self) -> Result<u64, StateError> {
        self.c
            .query_row("SELECT COALESCE(MAX(version), 0) FROM releases", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|v| u64::try_from(v).unwrap_or(0))
            .map_err(|e| self.err(e))
    }

    async fn insert_file(&mut self, digest: &str, content: &[u8]) -> Result<(), StateError> {
        self.run(
            "INSERT OR IGNORE INTO release_files (digest, content) VALUES (?1, ?2)",
            params![digest, content],
        )
        .map(|_| ())
    }

    async fn insert_release(&mut self, r: &StoredRelease) -> Result<(), StateError> {
        self.run(
            "INSERT INTO releases (version, digest, doc, signatures, applied_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![i64::try_from(r.version).unwrap_or(i64::MAX), r.digest, r.doc, r.signatures, r.applied_ms ],
        )?;
        Ok(())
    }

    async fn insert_reload(&mut self, by: &str, now: i64) -> Result<i64, StateError> {
        self.c
            .execute(
                "INSERT INTO reloads (by, at) VALUES (?1, ?2)",
                params![by, now],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.c.last_insert_rowid())
    }

    async fn proposal_signatures(&mut self, digest: &str) -> Result<Option<String>, StateError> {
        self.c
            .query_row(
                "SELECT signatures FROM release_proposals WHERE digest = ?1",
                params![digest],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    async fn put_proposal(
        &mut self,
        digest: &str,
        doc: &[u8],
        signatures: &str,
        now: i64,
    ) -> Result<(), StateError> {
        self.run(
            "INSERT INTO release_proposals (digest, doc, signatures, at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (digest) DO UPDATE SET signatures = excluded.signatures",
            params![digest, doc, signatures, now],
        )
        .map(|_| ())
    }

    async fn notify(&mut self, _what: &str) -> Result<(), StateError> {
        // Other processes ask `PRAGMA data_version`.
        Ok(())
    }
}

#[async_trait::async_trait]
impl Releases for SqliteState {
    async fn request_reload(&self, by: &str) -> Result<u64, StateError> {
        let id = self.write(&self.conn, async |tx| {
            releases::request_reload(tx, by).await
        })?;
        self.changed_locally();
        Ok(id)
    }

    async fn reload_request(&self) -> Result<(u64, Option<String>), StateError> {
        let row: Option<(i64, String)> = self
            .conn()
            .prepare_cached("SELECT id, by FROM reloads ORDER BY id DESC LIMIT 1")
            .and_then(|mut st| st.query_row([], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(|e| self.err(e))?;
        Ok(row.map_or((0, None), |(id, by)| (id as u64, Some(by))))
    }

    async fn release_in_force(&self) -> Result<Option<StoredRelease>, StateError> {
        self.conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM releases ORDER BY version DESC LIMIT 1"),
                [],
                row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    async fn release(&self, version: u64) -> Result<Option<StoredRelease>, StateError> {
        self.conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM releases WHERE version = ?1"),
                params![i64::try_from(version).unwrap_or(i64::MAX)],
                row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    async fn put_release(
        &self,
        r: &StoredRelease,
        files: &[(String, Vec<u8>)],
    ) -> Result<bool, StateError> {
        let stored = self.write(&self.conn, async |tx| {
            releases::put_release(tx, r, files).await
        })?;
        if stored {
            self.changed_locally();
        }
        Ok(stored)
    }

    async fn release_file(&self, digest: &str) -> Result<Option<Vec<u8>>, StateError> {
        self.conn()
            .query_row(
                "SELECT content FROM release_files WHERE digest = ?1",
                params![digest],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    async fn propose(
        &self,
        digest: &str,
        doc: &[u8],
        signature: &str,
    ) -> Result<Vec<String>, StateError> {
        self.write(&self.conn, async |tx| {
            releases::propose(tx, digest, doc, signature).await
        })
    }

    async fn proposals(&self) -> Result<Vec<Proposal>, StateError> {
        let c = self.conn();
        let mut st = c
            .prepare("SELECT digest, doc, signatures FROM release_proposals ORDER BY at DESC")
            .map_err(|e| self.err(e))?;
        st.query_map([], |r| {
            Ok(proposal(r.get(0)?, r.get(1)?, &r.get::<_, String>(2)?))
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }
}
