//! Releases of the rules in PostgreSQL, shared by the fleet: a release
//! applied through any host is stored here, with the content of its files,
//! and a `NOTIFY` makes every host reload under it within a watcher turn.

use super::{CHANNEL, PostgresState};
use crate::state::{Proposal, StateError, StoredRelease, now_ms};

const COLUMNS: &str = "version, digest, doc, signatures, applied_at";

fn row(r: &tokio_postgres::Row) -> StoredRelease {
    StoredRelease {
        version: u64::try_from(r.get::<_, i64>(0)).unwrap_or(0),
        digest: r.get(1),
        doc: r.get(2),
        signatures: r.get(3),
        applied_ms: r.get(4),
    }
}

impl PostgresState {
    pub(super) async fn read_release(
        &self,
        version: Option<u64>,
    ) -> Result<Option<StoredRelease>, StateError> {
        let c = self.client().await?;
        let found = match version {
            None => {
                c.query_opt(
                    &format!("SELECT {COLUMNS} FROM releases ORDER BY version DESC LIMIT 1"),
                    &[],
                )
                .await
            }
            Some(v) => {
                c.query_opt(
                    &format!("SELECT {COLUMNS} FROM releases WHERE version = $1"),
                    &[&i64::try_from(v).unwrap_or(i64::MAX)],
                )
                .await
            }
        }
        .map_err(|e| self.err(e))?;
        Ok(found.as_ref().map(row))
    }

    pub(super) async fn write_release(
        &self,
        r: &StoredRelease,
        files: &[(String, Vec<u8>)],
    ) -> Result<bool, StateError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(|e| self.err(e))?;
        // One writer of releases at a time across the fleet.
        tx.execute("SELECT pg_advisory_xact_lock(7761001)", &[])
            .await
            .map_err(|e| self.err(e))?;
        let highest: i64 = tx
            .query_one("SELECT COALESCE(MAX(version), 0) FROM releases", &[])
            .await
            .map_err(|e| self.err(e))?
            .get(0);
        if u64::try_from(highest).unwrap_or(0) + 1 != r.version {
            return Ok(false);
        }
        for (digest, content) in files {
            tx.execute(
                "INSERT INTO release_files (digest, content) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[digest, content],
            )
            .await
            .map_err(|e| self.err(e))?;
        }
        tx.execute(
            "INSERT INTO releases (version, digest, doc, signatures, applied_at) VALUES ($1, $2, $3, $4, $5)",
            &[
                &i64::try_from(r.version).unwrap_or(i64::MAX),
                &r.digest,
                &r.doc,
                &r.signatures,
                &r.applied_ms,
            ],
        )
        .await
        .map_err(|e| self.err(e))?;
        tx.execute(
            "INSERT INTO reloads (by, at) VALUES ($1, $2)",
            &[&format!("release {}", r.version), &now_ms()],
        )
        .await
        .map_err(|e| self.err(e))?;
        tx.execute(&format!("SELECT pg_notify('{CHANNEL}', 'release')"), &[])
            .await
            .map_err(|e| self.err(e))?;
        tx.commit().await.map_err(|e| self.err(e))?;
        self.changed_locally();
        Ok(true)
    }

    pub(super) async fn read_release_file(
        &self,
        digest: &str,
    ) -> Result<Option<Vec<u8>>, StateError> {
        let c = self.client().await?;
        Ok(c.query_opt(
            "SELECT content FROM release_files WHERE digest = $1",
            &[&digest],
        )
        .await
        .map_err(|e| self.err(e))?
        .map(|r| r.get(0)))
    }

    pub(super) async fn write_proposal(
        &self,
        digest: &str,
        doc: &[u8],
        signature: &str,
    ) -> Result<Vec<String>, StateError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(|e| self.err(e))?;
        tx.execute(
            "INSERT INTO release_proposals (digest, doc, signatures, at) VALUES ($1, $2, '[]', $3)
             ON CONFLICT DO NOTHING",
            &[&digest, &doc, &now_ms()],
        )
        .await
        .map_err(|e| self.err(e))?;
        let text: String = tx
            .query_one(
                "SELECT signatures FROM release_proposals WHERE digest = $1 FOR UPDATE",
                &[&digest],
            )
            .await
            .map_err(|e| self.err(e))?
            .get(0);
        let mut all: Vec<String> = serde_json::from_str(&text).unwrap_or_default();
        if !all.iter().any(|s| s == signature) {
            all.push(signature.to_owned());
        }
        tx.execute(
            "UPDATE release_proposals SET signatures = $2 WHERE digest = $1",
            &[&digest, &serde_json::to_string(&all).unwrap_or_default()],
        )
        .await
        .map_err(|e| self.err(e))?;
        tx.commit().await.map_err(|e| self.err(e))?;
        Ok(all)
    }

    pub(super) async fn read_proposals(&self) -> Result<Vec<Proposal>, StateError> {
        let c = self.client().await?;
        Ok(c.query(
            "SELECT digest, doc, signatures FROM release_proposals ORDER BY at DESC",
            &[],
        )
        .await
        .map_err(|e| self.err(e))?
        .iter()
        .map(|r| Proposal {
            digest: r.get(0),
            doc: r.get(1),
            signatures: serde_json::from_str(&r.get::<_, String>(2)).unwrap_or_default(),
        })
        .collect())
    }
}
