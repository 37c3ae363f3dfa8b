//! Token public keys (`token_keys`) and shared documents (`shared_docs`)
//! in PostgreSQL: what lets any host of the fleet verify any host's task
//! tokens and serve an MCP session, a console session or a held call's
//! task begun on another.

use deadpool_postgres::GenericClient;

use super::PostgresState;
use super::tx::Pg;
use crate::state::serving::{self, DocsTx, Serving};
use crate::state::{PublishedKey, StateError};

fn key_of(r: &tokio_postgres::Row) -> PublishedKey {
    PublishedKey {
        kid: r.get(0),
        host: r.get(1),
        public_key: r.get(2),
        created_ms: r.get(3),
    }
}

impl<C: GenericClient> DocsTx for Pg<'_, C> {
    async fn prune_docs(&mut self, kind: &str, now: i64) -> Result<(), StateError> {
        self.run(
            "DELETE FROM shared_docs WHERE kind = $1 AND expires <= $2",
            &[&kind, &now],
        )
        .await
        .map(|_| ())
    }

    async fn upsert_doc(
        &mut self,
        kind: &str,
        id: &str,
        body: &str,
        expires_ms: i64,
    ) -> Result<(), StateError> {
        self.run("INSERT INTO shared_docs (kind, id, body, expires) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, expires = excluded.expires", &[&kind, &id, &body, &expires_ms]).await.map(|_| ())
    }

    async fn doc(&mut self, kind: &str, id: &str) -> Result<Option<(String, i64)>, StateError> {
        self.c
            .query_opt(
                "SELECT body, expires FROM shared_docs WHERE kind = $1 AND id = $2",
                &[&kind, &id],
            )
            .await
            .map(|r| r.map(|r| (r.get(0), r.get(1))))
            .map_err(|e| self.err(e))
    }

    async fn remove_doc(
        &mut self,
        kind: &str,
        id: &str,
    ) -> Result<Option<(String, i64)>, StateError> {
        self.c
            .query_opt(
                "DELETE FROM shared_docs WHERE kind = $1 AND id = $2 RETURNING body, expires",
                &[&kind, &id],
            )
            .await
            .map(|r| r.map(|r| (r.get(0), r.get(1))))
            .map_err(|e| self.err(e))
    }
}

#[async_trait::async_trait]
impl Serving for PostgresState {
    async fn publish_token_key(&self, k: &PublishedKey) -> Result<(), StateError> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO token_keys (kid, host, public_key, created) VALUES ($1, $2, $3, $4)
             ON CONFLICT (kid) DO NOTHING",
            &[&k.kid, &k.host, &k.public_key, &k.created_ms],
        )
        .await
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn token_key(&self, kid: &str) -> Result<Option<PublishedKey>, StateError> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT kid, host, public_key, created FROM token_keys WHERE kid = $1",
                &[&kid],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(row.as_ref().map(key_of))
    }

    async fn token_keys(&self) -> Result<Vec<PublishedKey>, StateError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT kid, host, public_key, created FROM token_keys ORDER BY created",
                &[],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows.iter().map(key_of).collect())
    }

    async fn put_doc(
        &self,
        kind: &str,
        id: &str,
        body: &str,
        expires_ms: i64,
    ) -> Result<(), StateError> {
        let mut c = self.client().await?;
        serving::put_doc(self.begin(&mut c).await?, kind, id, body, expires_ms).await
    }

    async fn doc(&self, kind: &str, id: &str) -> Result<Option<String>, StateError> {
        serving::read_doc(self.reading().await?, kind, id).await
    }

    async fn take_doc(&self, kind: &str, id: &str) -> Result<Option<String>, StateError> {
        let mut c = self.client().await?;
        serving::take_doc(self.begin(&mut c).await?, kind, id).await
    }
}
