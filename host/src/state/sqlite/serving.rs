//! Token public keys (`token_keys`) and shared documents (`shared_docs`)
//! in SQLite: on one host, what lets a console session, an MCP session or
//! a held call's task outlive a restart.

use rusqlite::{OptionalExtension as _, params};

use super::SqliteState;
use crate::state::{PublishedKey, StateError, now_ms};

fn key_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<PublishedKey> {
    Ok(PublishedKey {
        kid: r.get(0)?,
        host: r.get(1)?,
        public_key: r.get(2)?,
        created_ms: r.get(3)?,
    })
}

impl SqliteState {
    pub(super) fn write_token_key(&self, k: &PublishedKey) -> Result<(), StateError> {
        self.conn()
            .execute(
                "INSERT OR IGNORE INTO token_keys (kid, host, public_key, created) VALUES (?1, ?2, ?3, ?4)",
                params![k.kid, k.host, k.public_key, k.created_ms],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    pub(super) fn read_token_key(&self, kid: &str) -> Result<Option<PublishedKey>, StateError> {
        self.conn()
            .query_row(
                "SELECT kid, host, public_key, created FROM token_keys WHERE kid = ?1",
                params![kid],
                key_of,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    pub(super) fn read_token_keys(&self) -> Result<Vec<PublishedKey>, StateError> {
        let conn = self.conn();
        let mut st = conn
            .prepare_cached(
                "SELECT kid, host, public_key, created FROM token_keys ORDER BY created",
            )
            .map_err(|e| self.err(e))?;
        let rows = st.query_map([], key_of).map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    pub(super) fn write_doc(
        &self,
        kind: &str,
        id: &str,
        body: &str,
        expires_ms: i64,
    ) -> Result<(), StateError> {
        let conn = self.conn();
        conn.execute(
            "DELETE FROM shared_docs WHERE kind = ?1 AND expires <= ?2",
            params![kind, now_ms()],
        )
        .map_err(|e| self.err(e))?;
        conn.execute(
            "INSERT INTO shared_docs (kind, id, body, expires) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(kind, id) DO UPDATE SET body = excluded.body, expires = excluded.expires",
            params![kind, id, body, expires_ms],
        )
        .map(|_| ())
        .map_err(|e| self.err(e))
    }

    pub(super) fn read_doc(&self, kind: &str, id: &str) -> Result<Option<String>, StateError> {
        self.conn()
            .query_row(
                "SELECT body FROM shared_docs WHERE kind = ?1 AND id = ?2 AND expires > ?3",
                params![kind, id, now_ms()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    pub(super) fn remove_doc(&self, kind: &str, id: &str) -> Result<Option<String>, StateError> {
        self.conn()
            .query_row(
                "DELETE FROM shared_docs WHERE kind = ?1 AND id = ?2 RETURNING body, expires",
                params![kind, id],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
            )
            .optional()
            .map(|found| found.filter(|(_, exp)| *exp > now_ms()).map(|(b, _)| b))
            .map_err(|e| self.err(e))
    }
}
