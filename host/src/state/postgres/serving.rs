//! Token public keys (`token_keys`) and shared documents (`shared_docs`)
//! in PostgreSQL: what lets any host of the fleet verify any host's task
//! tokens and serve an MCP session, a console session or a held call's
//! task begun on another.

use super::PostgresState;
use crate::state::{PublishedKey, StateError, now_ms};

fn key_of(r: &tokio_postgres::Row) -> PublishedKey {
    PublishedKey {
        kid: r.get(0),
        host: r.get(1),
        public_key: r.get(2),
        created_ms: r.get(3),
    }
}

impl PostgresState {
    pub(super) async fn write_token_key(&self, k: &PublishedKey) -> Result<(), StateError> {
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

    pub(super) async fn read_token_key(
        &self,
        kid: &str,
    ) -> Result<Option<PublishedKey>, StateError> {
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

    pub(super) async fn read_token_keys(&self) -> Result<Vec<PublishedKey>, StateError> {
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

    pub(super) async fn write_doc(
        &self,
        kind: &str,
        id: &str,
        body: &str,
        expires_ms: i64,
    ) -> Result<(), StateError> {
        let c = self.client().await?;
        c.execute(
            "DELETE FROM shared_docs WHERE kind = $1 AND expires <= $2",
            &[&kind, &now_ms()],
        )
        .await
        .map_err(|e| self.err(e))?;
        c.execute(
            "INSERT INTO shared_docs (kind, id, body, expires) VALUES ($1, $2, $3, $4)
             ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, expires = excluded.expires",
            &[&kind, &id, &body, &expires_ms],
        )
        .await
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub(super) async fn read_doc(
        &self,
        kind: &str,
        id: &str,
    ) -> Result<Option<String>, StateError> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT body FROM shared_docs WHERE kind = $1 AND id = $2 AND expires > $3",
                &[&kind, &id, &now_ms()],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(row.map(|r| r.get(0)))
    }

    pub(super) async fn remove_doc(
        &self,
        kind: &str,
        id: &str,
    ) -> Result<Option<String>, StateError> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "DELETE FROM shared_docs WHERE kind = $1 AND id = $2 RETURNING body, expires",
                &[&kind, &id],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(row
            .filter(|r| r.get::<_, i64>(1) > now_ms())
            .map(|r| r.get(0)))
    }
}
