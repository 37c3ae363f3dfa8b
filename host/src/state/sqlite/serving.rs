//! Token public keys (`token_keys`) and shared documents (`shared_docs`)
//! in SQLite: on one host, what lets a console session, an MCP session or
//! a held call's task outlive a restart.

use std::ops::Deref;

use rusqlite::{Connection, OptionalExtension as _, params};

use super::{Lite, SqliteState};
use crate::state::serving::{self, DocsTx, Serving};
use crate::state::{PublishedKey, StateError};

fn key_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<PublishedKey> {
    Ok(PublishedKey {
        kid: r.get(0)?,
        host: r.get(1)?,
        public_key: r.get(2)?,
        created_ms: r.get(3)?,
    })
}

impl<C: Deref<Target = Connection>> DocsTx for Lite<'_, C> {
    async fn prune_docs(&mut self, kind: &str, now: i64) -> Result<(), StateError> {
        self.run(
            "DELETE FROM shared_docs WHERE kind = ?1 AND expires <= ?2",
            params![kind, now],
        )
        .map(|_| ())
    }

    async fn upsert_doc(
        &mut self,
        kind: &str,
        id: &str,
        body: &str,
        expires_ms: i64,
    ) -> Result<(), StateError> {
        self.run("INSERT INTO shared_docs (kind, id, body, expires) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(kind, id) DO UPDATE SET body = excluded.body, expires = excluded.expires", params![kind, id, body, expires_ms]).map(|_| ())
    }

    async fn doc(&mut self, kind: &str, id: &str) -> Result<Option<(String, i64)>, StateError> {
        self.c
            .query_row(
                "SELECT body, expires FROM shared_docs WHERE kind = ?1 AND id = ?2",
                params![kind, id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    async fn remove_doc(
        &mut self,
        kind: &str,
        id: &str,
    ) -> Result<Option<(String, i64)>, StateError> {
        self.c
            .query_row(
                "DELETE FROM shared_docs WHERE kind = ?1 AND id = ?2 RETURNING body, expires",
                params![kind, id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))
    }
}

#[async_trait::async_trait]
impl Serving for SqliteState {
    async fn publish_token_key(&self, k: &PublishedKey) -> Result<(), StateError> {
        self.conn()
            .execute(
                "INSERT OR IGNORE INTO token_keys (kid, host, public_key, created) VALUES (?1, ?2, ?3, ?4)",
                params![k.kid, k.host, k.public_key, k.created_ms],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    async fn token_key(&self, kid: &str) -> Result<Option<PublishedKey>, StateError> {
        self.conn()
            .query_row(
                "SELECT kid, host, public_key, created FROM token_keys WHERE kid = ?1",
                params![kid],
                key_of,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    async fn token_keys(&self) -> Result<Vec<PublishedKey>, StateError> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached(
                "SELECT kid, host, public_key, created FROM token_keys ORDER BY created",
            )
            .map_err(|e| self.err(e))?;
        let rows = st.query_map([], key_of).map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    async fn put_doc(
        &self,
        kind: &str,
        id: &str,
        body: &str,
        expires_ms: i64,
    ) -> Result<(), StateError> {
        self.write(&self.conn, async |tx| {
            serving::put_doc(tx, kind, id, body, expires_ms).await
        })
    }

    async fn doc(&self, kind: &str, id: &str) -> Result<Option<String>, StateError> {
        self.read(&self.conn, async |r| serving::read_doc(r, kind, id).await)
    }

    async fn take_doc(&self, kind: &str, id: &str) -> Result<Option<String>, StateError> {
        self.write(&self.conn, async |tx| serving::take_doc(tx, kind, id).await)
    }
}
