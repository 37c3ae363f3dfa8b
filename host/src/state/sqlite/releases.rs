//! Releases of the rules in SQLite: the releases in force (one row per
//! version), the content of the files they name, and proposals with the
//! signatures gathered for them.

use rusqlite::{OptionalExtension as _, TransactionBehavior, params};

use super::SqliteState;
use crate::state::{Proposal, StateError, StoredRelease, now_ms};

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

impl SqliteState {
    pub(super) fn read_release(
        &self,
        version: Option<u64>,
    ) -> Result<Option<StoredRelease>, StateError> {
        let c = self.conn();
        match version {
            None => c
                .query_row(
                    &format!("SELECT {COLUMNS} FROM releases ORDER BY version DESC LIMIT 1"),
                    [],
                    row,
                )
                .optional(),
            Some(v) => c
                .query_row(
                    &format!("SELECT {COLUMNS} FROM releases WHERE version = ?1"),
                    params![i64::try_from(v).unwrap_or(i64::MAX)],
                    row,
                )
                .optional(),
        }
        .map_err(|e| self.err(e))
    }

    pub(super) fn write_release(
        &self,
        r: &StoredRelease,
        files: &[(String, Vec<u8>)],
    ) -> Result<bool, StateError> {
        let mut c = self.conn();
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let highest: i64 = tx
            .query_row("SELECT COALESCE(MAX(version), 0) FROM releases", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.err(e))?;
        if u64::try_from(highest).unwrap_or(0) + 1 != r.version {
            return Ok(false);
        }
        for (digest, content) in files {
            tx.execute(
                "INSERT OR IGNORE INTO release_files (digest, content) VALUES (?1, ?2)",
                params![digest, content],
            )
            .map_err(|e| self.err(e))?;
        }
        tx.execute(
            "INSERT INTO releases (version, digest, doc, signatures, applied_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                i64::try_from(r.version).unwrap_or(i64::MAX),
                r.digest,
                r.doc,
                r.signatures,
                r.applied_ms
            ],
        )
        .map_err(|e| self.err(e))?;
        tx.execute(
            "INSERT INTO reloads (by, at) VALUES (?1, ?2)",
            params![format!("release {}", r.version), now_ms()],
        )
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        drop(c);
        self.changed_locally();
        Ok(true)
    }

    pub(super) fn read_release_file(&self, digest: &str) -> Result<Option<Vec<u8>>, StateError> {
        self.conn()
            .query_row(
                "SELECT content FROM release_files WHERE digest = ?1",
                params![digest],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    pub(super) fn write_proposal(
        &self,
        digest: &str,
        doc: &[u8],
        signature: &str,
    ) -> Result<Vec<String>, StateError> {
        let mut c = self.conn();
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let existing: Option<String> = tx
            .query_row(
                "SELECT signatures FROM release_proposals WHERE digest = ?1",
                params![digest],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let mut all: Vec<String> = existing
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        if !all.iter().any(|s| s == signature) {
            all.push(signature.to_owned());
        }
        let text = serde_json::to_string(&all).unwrap_or_default();
        tx.execute(
            "INSERT INTO release_proposals (digest, doc, signatures, at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (digest) DO UPDATE SET signatures = excluded.signatures",
            params![digest, doc, text, now_ms()],
        )
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(all)
    }

    pub(super) fn read_proposals(&self) -> Result<Vec<Proposal>, StateError> {
        let c = self.conn();
        let mut st = c
            .prepare("SELECT digest, doc, signatures FROM release_proposals ORDER BY at DESC")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (digest, doc, sigs) = row.map_err(|e| self.err(e))?;
            out.push(Proposal {
                digest,
                doc,
                signatures: serde_json::from_str(&sigs).unwrap_or_default(),
            });
        }
        Ok(out)
    }
}
