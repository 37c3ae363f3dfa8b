//! The fleet registry in PostgreSQL: `fleet_hosts`, `fleet_records`,
//! `fleet_checkpoints`.

use super::PostgresState;
use crate::state::{
    FleetHost, FleetRegistry, IndexedRecord, PublishedCheckpoint, StateError, now_ms,
};

fn indexed(r: &tokio_postgres::Row) -> IndexedRecord {
    IndexedRecord {
        host: r.get(0),
        seq: r.get(1),
        at_ms: r.get(2),
        kind: r.get(3),
        task: r.get(4),
        agent: r.get(5),
        call_id: r.get(6),
        hash: r.get(7),
        line: r.get(8),
    }
}

#[async_trait::async_trait]
impl FleetRegistry for PostgresState {
    async fn fleet_id(&self) -> Result<String, StateError> {
        let c = self.client().await?;
        let row = c
            .query_one("SELECT id FROM fleet_meta LIMIT 1", &[])
            .await
            .map_err(|e| self.err(e))?;
        Ok(row.get(0))
    }

    async fn heartbeat(&self, h: &FleetHost) -> Result<(), StateError> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO fleet_hosts (host, version, checkpoint_key, audit_dir, plugins, started, heartbeat, release, admin_digest, left_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)
             ON CONFLICT (host) DO UPDATE SET version = excluded.version,
               checkpoint_key = excluded.checkpoint_key, audit_dir = excluded.audit_dir,
               plugins = excluded.plugins, started = excluded.started, heartbeat = excluded.heartbeat,
               release = excluded.release, admin_digest = excluded.admin_digest, left_at = NULL",
            &[&h.host, &h.version, &h.checkpoint_key, &h.audit_dir, &h.plugins, &h.started_ms, &h.heartbeat_ms, &h.release, &h.admin_digest],
        )
        .await
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn publish(
        &self,
        records: &[IndexedRecord],
        checkpoints: &[PublishedCheckpoint],
    ) -> Result<(), StateError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(|e| self.err(e))?;
        let ins = tx
            .prepare(
                "INSERT INTO fleet_records (host, seq, at, kind, task, agent, call_id, hash, line)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (host, seq) DO UPDATE SET line = EXCLUDED.line
                 WHERE fleet_records.line IS NULL AND fleet_records.hash = EXCLUDED.hash",
            )
            .await
            .map_err(|e| self.err(e))?;
        for r in records {
            tx.execute(
                &ins,
                &[
                    &r.host, &r.seq, &r.at_ms, &r.kind, &r.task, &r.agent, &r.call_id, &r.hash,
                    &r.line,
                ],
            )
            .await
            .map_err(|e| self.err(e))?;
        }
        for p in checkpoints {
            tx.execute(
                "INSERT INTO fleet_checkpoints (host, seq, head, line) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[&p.host, &p.seq, &p.head, &p.line],
            )
            .await
            .map_err(|e| self.err(e))?;
        }
        tx.commit().await.map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn hosts(&self) -> Result<Vec<FleetHost>, StateError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT host, version, checkpoint_key, audit_dir, plugins, started, heartbeat, release, admin_digest, left_at FROM fleet_hosts ORDER BY host",
                &[],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows
            .iter()
            .map(|r| FleetHost {
                host: r.get(0),
                version: r.get(1),
                checkpoint_key: r.get(2),
                audit_dir: r.get(3),
                plugins: r.get(4),
                started_ms: r.get(5),
                heartbeat_ms: r.get(6),
                release: r.get(7),
                admin_digest: r.get(8),
                left_ms: r.get(9),
            })
            .collect())
    }

    async fn leave(&self, host: &str) -> Result<(), StateError> {
        let c = self.client().await?;
        c.execute(
            "UPDATE fleet_hosts SET left_at = $2 WHERE host = $1",
            &[&host, &now_ms()],
        )
        .await
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn published_seq(&self, host: &str) -> Result<i64, StateError> {
        let c = self.client().await?;
        let r = c
            .query_one(
                "SELECT COALESCE(MAX(seq), 0) FROM fleet_records WHERE host = $1",
                &[&host],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(r.get(0))
    }

    async fn task_records(&self, task: &str) -> Result<Vec<IndexedRecord>, StateError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT host, seq, at, kind, task, agent, call_id, hash, line FROM fleet_records WHERE task = $1 ORDER BY at, host, seq",
                &[&task],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows.iter().map(indexed).collect())
    }

    async fn host_records(&self, host: &str) -> Result<Vec<(i64, String)>, StateError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT seq, hash FROM fleet_records WHERE host = $1 ORDER BY seq",
                &[&host],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn shipped(&self, host: &str) -> Result<Vec<(i64, String)>, StateError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT seq, line FROM fleet_records WHERE host = $1 AND line IS NOT NULL ORDER BY seq",
                &[&host],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn host_checkpoints(&self, host: &str) -> Result<Vec<PublishedCheckpoint>, StateError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT host, seq, head, line FROM fleet_checkpoints WHERE host = $1 ORDER BY seq",
                &[&host],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows
            .iter()
            .map(|r| PublishedCheckpoint {
                host: r.get(0),
                seq: r.get(1),
                head: r.get(2),
                line: r.get(3),
            })
            .collect())
    }

    async fn calls_since(&self, since_ms: i64) -> Result<Vec<(String, i64)>, StateError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT host, COUNT(*) FROM fleet_records WHERE kind IN ('call', 'call.completed') AND at >= $1 GROUP BY host",
                &[&since_ms],
            )
            .await
            .map_err(|e| self.err(e))?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
