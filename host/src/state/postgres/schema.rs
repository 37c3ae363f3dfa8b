//! The PostgreSQL schema and its migrations, applied in order at start
//! under an advisory lock (hosts starting at once wait for each other), the
//! version kept in `warrant_schema`.

use deadpool_postgres::Client;

/// Each migration moves the schema one version up.
const MIGRATIONS: &[&str] = &[
    // 1: everything the SQLite backend has in its version 4.
    r"
CREATE TABLE plugin_versions (
    plugin TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    major BIGINT NOT NULL, minor BIGINT NOT NULL, patch BIGINT NOT NULL,
    digest TEXT NOT NULL,
    manifest_digest TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL
);
CREATE TABLE stops (
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    by TEXT NOT NULL,
    reason TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (kind, target)
);
CREATE TABLE revoked_tokens (
    token_id TEXT PRIMARY KEY,
    by TEXT NOT NULL,
    reason TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    task TEXT NOT NULL,
    tool TEXT NOT NULL,
    args_digest TEXT NOT NULL,
    plugin_version TEXT NOT NULL,
    component_digest TEXT NOT NULL,
    tool_digest TEXT NOT NULL,
    token_id TEXT NOT NULL,
    impact TEXT NOT NULL,
    why TEXT NOT NULL,
    summary TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    decided_by TEXT,
    decided_at BIGINT,
    decision_reason TEXT,
    used_at BIGINT,
    required BIGINT NOT NULL DEFAULT 1,
    token_issuer TEXT NOT NULL DEFAULT ''
);
CREATE INDEX approvals_call ON approvals (agent, task, tool, args_digest);
CREATE TABLE approval_votes (
    approval_id TEXT NOT NULL,
    operator TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (approval_id, operator)
);
CREATE TABLE rate_events (
    key TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX rate_events_key ON rate_events (key, at);
CREATE TABLE reloads (
    id BIGSERIAL PRIMARY KEY,
    by TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE TABLE nonces (
    nonce TEXT PRIMARY KEY,
    operator TEXT NOT NULL,
    expires BIGINT NOT NULL
);
CREATE TABLE call_uses (
    id BIGSERIAL PRIMARY KEY,
    task TEXT NOT NULL,
    agent TEXT NOT NULL,
    tool TEXT NOT NULL,
    high BOOLEAN NOT NULL,
    ok BOOLEAN,
    output BIGINT NOT NULL DEFAULT 0,
    at BIGINT NOT NULL
);
CREATE INDEX call_uses_task ON call_uses (task, at);
CREATE INDEX call_uses_agent ON call_uses (agent, at);
CREATE INDEX call_uses_tool ON call_uses (tool, at);
",
    // 2: the fleet: hosts, and the index of their chains.
    r"
CREATE TABLE fleet_hosts (
    host TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    checkpoint_key TEXT NOT NULL,
    audit_dir TEXT NOT NULL,
    plugins TEXT[] NOT NULL,
    started BIGINT NOT NULL,
    heartbeat BIGINT NOT NULL
);
CREATE TABLE fleet_records (
    host TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    task TEXT,
    agent TEXT,
    call_id TEXT,
    hash TEXT NOT NULL,
    PRIMARY KEY (host, seq)
);
CREATE INDEX fleet_records_task ON fleet_records (task, at);
CREATE INDEX fleet_records_kind ON fleet_records (kind, at);
CREATE TABLE fleet_checkpoints (
    host TEXT NOT NULL,
    seq BIGINT NOT NULL,
    head TEXT NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (host, seq)
);
",
    // 3: concurrency caps across the fleet: leases on in-flight slots.
    r"
CREATE SEQUENCE slot_leases;
CREATE TABLE inflight_slots (
    lease BIGINT NOT NULL,
    key TEXT NOT NULL,
    expires BIGINT NOT NULL
);
CREATE INDEX inflight_slots_key ON inflight_slots (key, expires);
CREATE INDEX inflight_slots_lease ON inflight_slots (lease);
",
    // 4: the fleet's id, the audience of its operators' signed actions.
    r"
CREATE TABLE fleet_meta (id TEXT NOT NULL);
INSERT INTO fleet_meta (id)
    VALUES ('fleet-' || substr(md5(random()::text || clock_timestamp()::text), 1, 16));
-- Who holds each in-flight slot: a host process, so that its next start
-- gives back the slots of a process that died.
ALTER TABLE inflight_slots ADD COLUMN owner TEXT NOT NULL DEFAULT '';
CREATE INDEX inflight_slots_owner ON inflight_slots (owner);
",
    // 5: governed configuration — releases of the rules, their files and
    // the signatures gathered for proposed ones.
    r"
CREATE TABLE releases (
    version BIGINT PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    doc BYTEA NOT NULL,
    signatures TEXT NOT NULL,
    applied_at BIGINT NOT NULL
);
CREATE TABLE release_files (
    digest TEXT PRIMARY KEY,
    content BYTEA NOT NULL
);
ALTER TABLE fleet_hosts ADD COLUMN release TEXT NOT NULL DEFAULT '';
CREATE TABLE release_proposals (
    digest TEXT PRIMARY KEY,
    doc BYTEA NOT NULL,
    signatures TEXT NOT NULL,
    at BIGINT NOT NULL
);
",
    // 6: any host serves any request — the hosts' token public keys;
    // shared documents (MCP and console sessions, logins under way,
    // held calls' tasks); the fleet's admin credentials and hosts that
    // left; each record shipped whole.
    r"
CREATE TABLE token_keys (
    kid TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created BIGINT NOT NULL
);
CREATE TABLE shared_docs (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    expires BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX shared_docs_expires ON shared_docs (kind, expires);
ALTER TABLE fleet_hosts ADD COLUMN admin_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE fleet_hosts ADD COLUMN left_at BIGINT;
ALTER TABLE fleet_records ADD COLUMN line TEXT;
",
    // Leases: slices of rate windows (events carrying their lease) and of
    // budgets (rows of call_uses reserved ahead, not yet history).
    "
ALTER TABLE rate_events ADD COLUMN lease BIGINT;
CREATE SEQUENCE rate_leases;
ALTER TABLE call_uses ADD COLUMN reserved BOOLEAN NOT NULL DEFAULT FALSE;
",
    // Running totals of the calls counted by task, agent and tool: a budget
    // without a window reads one row instead of counting every use ever.
    "
CREATE TABLE use_totals (
    scope TEXT PRIMARY KEY,
    calls BIGINT NOT NULL,
    high BIGINT NOT NULL,
    output BIGINT NOT NULL
);
INSERT INTO use_totals (scope, calls, high, output)
    SELECT 'task:' || task, COUNT(*), COALESCE(SUM(high::int), 0), COALESCE(SUM(output), 0) FROM call_uses GROUP BY task
    UNION ALL
    SELECT 'agent:' || agent, COUNT(*), COALESCE(SUM(high::int), 0), COALESCE(SUM(output), 0) FROM call_uses GROUP BY agent
    UNION ALL
    SELECT 'tool:' || tool, COUNT(*), COALESCE(SUM(high::int), 0), COALESCE(SUM(output), 0) FROM call_uses GROUP BY tool;
",
];

/// The key of the advisory lock migrations hold.
const LOCK: i64 = 0x7761_7272_616e_7401;

/// Bring the database to the current schema, one transaction per step;
/// refuse a database whose schema is newer than this binary knows (an
/// older warrant does not know what a newer one writes there).
pub(super) async fn migrate(c: &mut Client) -> Result<(), String> {
    steps(c).await.map_err(|e| e.to_string())?;
    let newest: Option<i64> = c
        .query_one("SELECT max(version) FROM warrant_schema", &[])
        .await
        .map_err(|e| e.to_string())?
        .get(0);
    crate::state::newer_schema(newest.unwrap_or(0), MIGRATIONS.len())
}

async fn steps(c: &mut Client) -> Result<(), tokio_postgres::Error> {
    c.batch_execute("CREATE TABLE IF NOT EXISTS warrant_schema (version BIGINT NOT NULL)")
        .await?;
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        let tx = c.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])
            .await?;
        let current: Option<i64> = tx
            .query_opt("SELECT max(version) FROM warrant_schema", &[])
            .await?
            .and_then(|r| r.get(0));
        if current.unwrap_or(0) < version {
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO warrant_schema (version) VALUES ($1)",
                &[&version],
            )
            .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}
