//! The database schema and its migrations, applied in order from the
//! database's `PRAGMA user_version`.

use rusqlite::Connection;

/// Each migration moves the schema one version up.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r"
CREATE TABLE IF NOT EXISTS plugin_versions (
    plugin TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    major INTEGER NOT NULL, minor INTEGER NOT NULL, patch INTEGER NOT NULL,
    digest TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS stops (
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    by TEXT NOT NULL,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (kind, target)
);
CREATE TABLE IF NOT EXISTS revoked_tokens (
    token_id TEXT PRIMARY KEY,
    by TEXT NOT NULL,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS approvals (
    id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    task TEXT NOT NULL,
    tool TEXT NOT NULL,
    args_digest TEXT NOT NULL,
    token_id TEXT NOT NULL,
    impact TEXT NOT NULL,
    why TEXT NOT NULL,
    summary TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    decided_by TEXT,
    decided_at INTEGER,
    decision_reason TEXT,
    used_at INTEGER
);
CREATE INDEX IF NOT EXISTS approvals_call ON approvals (agent, task, tool, args_digest);
",
    // 2: approvals bound to the plugin; version marks with the manifest;
    // shared rate windows; reload requests.
    r"
ALTER TABLE plugin_versions ADD COLUMN manifest_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN plugin_version TEXT NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN component_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN tool_digest TEXT NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS rate_events (
    key TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_events_key ON rate_events (key, at);
CREATE TABLE IF NOT EXISTS reloads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    by TEXT NOT NULL,
    at INTEGER NOT NULL
);
",
    // 3: operator identity — N-of-M approvals, four eyes, action nonces.
    r"
ALTER TABLE approvals ADD COLUMN required INTEGER NOT NULL DEFAULT 1;
ALTER TABLE approvals ADD COLUMN token_issuer TEXT NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS approval_votes (
    approval_id TEXT NOT NULL,
    operator TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (approval_id, operator)
);
CREATE TABLE IF NOT EXISTS nonces (
    nonce TEXT PRIMARY KEY,
    operator TEXT NOT NULL,
    expires INTEGER NOT NULL
);
",
    // 4: policy lifecycle — what calls ran, for task history and budgets.
    r"
CREATE TABLE IF NOT EXISTS call_uses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task TEXT NOT NULL,
    agent TEXT NOT NULL,
    tool TEXT NOT NULL,
    high INTEGER NOT NULL,
    ok INTEGER,
    output INTEGER NOT NULL DEFAULT 0,
    at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS call_uses_task ON call_uses (task, at);
CREATE INDEX IF NOT EXISTS call_uses_agent ON call_uses (agent, at);
CREATE INDEX IF NOT EXISTS call_uses_tool ON call_uses (tool, at);
",
    // 5: governed configuration — releases of the rules, their files and
    // the signatures gathered for proposed ones.
    r"
CREATE TABLE IF NOT EXISTS releases (
    version INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    doc BLOB NOT NULL,
    signatures TEXT NOT NULL,
    applied_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS release_files (
    digest TEXT PRIMARY KEY,
    content BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS release_proposals (
    digest TEXT PRIMARY KEY,
    doc BLOB NOT NULL,
    signatures TEXT NOT NULL,
    at INTEGER NOT NULL
);
",
    // 6: any host serves any request — token public keys, and shared
    // documents (MCP and console sessions, logins under way, tasks).
    r"
CREATE TABLE IF NOT EXISTS token_keys (
    kid TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS shared_docs (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    expires INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS shared_docs_expires ON shared_docs (kind, expires);
",
    // Running totals of the calls counted by task, agent and tool: a budget
    // without a window reads one row instead of counting every use ever.
    r"
CREATE TABLE IF NOT EXISTS use_totals (
    scope TEXT PRIMARY KEY,
    calls INTEGER NOT NULL,
    high INTEGER NOT NULL,
    output INTEGER NOT NULL
);
INSERT INTO use_totals (scope, calls, high, output)
    SELECT 'task:' || task, COUNT(*), COALESCE(SUM(high), 0), COALESCE(SUM(output), 0) FROM call_uses GROUP BY task
    UNION ALL
    SELECT 'agent:' || agent, COUNT(*), COALESCE(SUM(high), 0), COALESCE(SUM(output), 0) FROM call_uses GROUP BY agent
    UNION ALL
    SELECT 'tool:' || tool, COUNT(*), COALESCE(SUM(high), 0), COALESCE(SUM(output), 0) FROM call_uses GROUP BY tool;
",
];

/// Bring the database to the current schema, one transaction per step
/// (another process migrating at the same moment waits, then finds the
/// step done); refuse a database whose schema is newer than this binary
/// knows.
pub(super) fn migrate(conn: &Connection) -> Result<(), String> {
    steps(conn).map_err(|e| e.to_string())?;
    let newest: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    crate::state::newer_schema(newest, MIGRATIONS.len())
}

fn steps(conn: &Connection) -> rusqlite::Result<()> {
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        conn.execute_batch("BEGIN IMMEDIATE;")?;
        let step = (|| {
            let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if current < version {
                conn.execute_batch(sql)?;
                conn.execute_batch(&format!("PRAGMA user_version = {version};"))?;
            }
            Ok(())
        })();
        match step {
            Ok(()) => conn.execute_batch("COMMIT;")?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK;");
                return Err(e);
            }
        }
    }
    Ok(())
}
