//! Releases of the rules in PostgreSQL, shared by the fleet: a release
//! applied through any host is stored here, with the content of its files,
//! and a `NOTIFY` makes every host reload under it within a watcher turn;
//! proposals and reload requests likewise.

use deadpool_postgres::GenericClient;

use super::PostgresState;
use super::tx::Pg;
use crate::state::releases::{self, Releases, ReleasesTx, proposal};
use crate::state::{Proposal, StateError, StoredRelease};

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

impl<C: GenericClient> ReleasesTx for Pg<'_, C> {
    async fn highest_release(&mut self) -> Result<u64, StateError> {
        self.c
            .query_one("SELECT COALESCE(MAX(version), 0) FROM releases", &[])
            .await
            .map(|r| u64::try_from(r.get::<_, i64>(0)).unwrap_or(0))
            .map_err(|e| self.err(e))
    }

    async fn insert_file(&mut self, digest: &str, content: &[u8]) -> Result<(), StateError> {
        self.run(
            "INSERT INTO release_files (digest, content) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&digest, &content],
        )
        .await
        .map(|_| ())
    }

    async fn insert_release(&mut self, r: &StoredRelease) -> Result<(), StateError> {
        self.run(
            "INSERT INTO releases (version, digest, doc, signatures, applied_at) VALUES ($1, $2, $3, $4, $5)",
            &[&i64::try_from(r.version).unwrap_or(i64::MAX), &r.digest, &r.doc, &r.signatures, &r.applied_ms],
        )
        .await?;
        Ok(())
    }

    async fn insert_reload(&mut self, by: &str, now: i64) -> Result<i64, StateError> {
        self.c
            .query_one(
                "INSERT INTO reloads (by, at) VALUES ($1, $2) RETURNING id",
                &[&by, &now],
            )
            .await
            .map(|r| r.get(0))
            .map_err(|e| self.err(e))
    }

    async fn proposal_signatures(&mut self, digest: &str) -> Result<Option<String>, StateError> {
        self.c
            .query_opt(
                "SELECT signatures FROM release_proposals WHERE digest = $1",
                &[&digest],
            )
            .await
            .map(|r| r.map(|r| r.get(0)))
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
            "INSERT INTO release_proposals (digest, doc, signatures, at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (digest) DO UPDATE SET signatures = excluded.signatures",
            &[&digest, &doc, &signatures, &now],
        )
        .await
        .map(|_| ())
    }

    async fn notify(&mut self, what: &str) -> Result<(), StateError> {
        super::stops::notify(&self.c, what)
            .await
            .map_err(|e| self.err(e))
    }
}

#[async_trait::async_trait]
impl Releases for PostgresState {
    async fn request_reload(&self, by: &str) -> Result<u64, StateError> {
        let mut c = self.client().await?;
        let id = releases::request_reload(self.begin(&mut c).await?, by).await?;
        self.changed_locally();
        Ok(id)
    }

    async fn reload_request(&self) -> Result<(u64, Option<String>), StateError> {
        let c = self.client().await?;
        let r = c
            .query_opt("SELECT id, by FROM reloads ORDER BY id DESC LIMIT 1", &[])
            .await
            .map_err(|e| self.err(e))?;
        Ok(r.map_or((0, None), |r| {
            (
                u64::try_from(r.get::<_, i64>(0)).unwrap_or(0),
                Some(r.get(1)),
            )
        }))
    }

    async fn release_in_force(&self) -> Result<Option<StoredRelease>, StateError> {
        let c = self.client().await?;
        let found = c
            .query_opt(
                &format!("SELECT {COLUMNS} FROM releases ORDER BY version DESC LIMIT 1"),
                &[],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(found.as_ref().map(row))
    }

    async fn release(&self, version: u64) -> Result<Option<StoredRelease>, StateError> {
        let c = self.client().await?;
        let found = c
            .query_opt(
                &format!("SELECT {COLUMNS} FROM releases WHERE version = $1"),
                &[&i64::try_from(version).unwrap_or(i64::MAX)],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(found.as_ref().map(row))
    }

    async fn put_release(
        &self,
        r: &StoredRelease,
        files: &[(String, Vec<u8>)],
    ) -> Result<bool, StateError> {
        let mut c = self.client().await?;
        let stored = releases::put_release(self.begin(&mut c).await?, r, files).await?;
        if stored {
            self.changed_locally();
        }
        Ok(stored)
    }

    async fn release_file(&self, digest: &str) -> Result<Option<Vec<u8>>, StateError> {
        let c = self.client().await?;
        Ok(c.query_opt(
            "SELECT content FROM release_files WHERE digest = $1",
            &[&digest],
        )
        .await
        .map_err(|e| self.err(e))?
        .map(|r| r.get(0)))
    }

    async fn propose(
        &self,
        digest: &str,
        doc: &[u8],
        signature: &str,
    ) -> Result<Vec<String>, StateError> {
        let mut c = self.client().await?;
        releases::propose(self.begin(&mut c).await?, digest, doc, signature).await
    }

    async fn proposals(&self) -> Result<Vec<Proposal>, StateError> {
        let c = self.client().await?;
        Ok(c.query(
            "SELECT digest, doc, signatures FROM release_proposals ORDER BY at DESC",
            &[],
        )
        .await
        .map_err(|e| self.err(e))?
        .iter()
        .map(|r| proposal(r.get(0), r.get(1), &r.get::<_, String>(2)))
        .collect())
    }
}
