//! A fleet host publishes itself: every second (and once more at shutdown)
//! it appends to the shared database what its audit chain gained — each
//! record shipped whole with its index entry (host, seq, time, kind, task,
//! agent, call id, hash), so that the chain survives the host's disk, and
//! its new signed checkpoints — and a heartbeat with its
//! version, checkpoint key, chain location and loaded plugins. Never on a
//! call's path; when the database is unreachable it tries again on the next
//! turn from where it stopped, so nothing is skipped.

use std::io::{BufRead as _, Seek as _};
use std::sync::Weak;
use std::time::Duration;

use crate::audit::{Record, read_checkpoints};
use crate::mediation::Inner;
use crate::state::{FleetHost, IndexedRecord, PublishedCheckpoint, now_ms};

/// How often a host publishes.
const EVERY: Duration = Duration::from_secs(1);

/// Where publishing got to.
#[derive(Debug)]
pub(crate) struct Publisher {
    host: String,
    checkpoint_key: String,
    admin_digest: String,
    started_ms: i64,
    cursor: tokio::sync::Mutex<Cursor>,
}

#[derive(Debug, Default)]
struct Cursor {
    /// Bytes of the log published (at a line boundary).
    offset: u64,
    /// The last checkpoint published.
    checkpoint: i64,
}

impl Publisher {
    pub(crate) fn new(host: String, checkpoint_key: String, admin_digest: String) -> Self {
        Self {
            host,
            checkpoint_key,
            admin_digest,
            started_ms: now_ms(),
            cursor: tokio::sync::Mutex::default(),
        }
    }

    /// Publish what is new; errors are logged and retried next turn.
    pub(crate) async fn step(&self, inner: &Inner) {
        let Some(fleet) = inner.state.fleet() else {
            return;
        };
        let mut cur = self.cursor.lock().await;
        let paths = inner.audit.paths().clone();
        let (records, next) = match new_records(&paths.log, cur.offset, &self.host) {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!("fleet: cannot read this host's chain to publish it: {e}");
                return;
            }
        };
        let checkpoints: Vec<PublishedCheckpoint> = read_checkpoints(&paths.checkpoints)
            .unwrap_or_default()
            .into_iter()
            .filter(|c| i64::try_from(c.seq).unwrap_or(0) > cur.checkpoint)
            .map(|c| PublishedCheckpoint {
                host: self.host.clone(),
                seq: i64::try_from(c.seq).unwrap_or(i64::MAX),
                head: c.head.clone(),
                line: serde_json::to_string(&c).unwrap_or_default(),
            })
            .collect();
        for chunk in records.chunks(500) {
            if let Err(e) = fleet.publish(chunk, &[]).await {
                tracing::warn!("fleet: publishing this host's chain failed (retrying): {e}");
                return;
            }
        }
        if let Err(e) = fleet.publish(&[], &checkpoints).await {
            tracing::warn!("fleet: publishing this host's checkpoints failed (retrying): {e}");
            return;
        }
        cur.offset = next;
        if let Some(last) = checkpoints.last() {
            cur.checkpoint = last.seq;
        }
        drop(cur);
        let loaded = inner
            .loaded
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let plugins = loaded
            .registry
            .plugins()
            .map(|p| {
                format!(
                    "{} {} {}",
                    p.id(),
                    p.manifest.manifest().plugin.version,
                    p.manifest.component_digest()
                )
            })
            .collect();
        let me = FleetHost {
            host: self.host.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            checkpoint_key: self.checkpoint_key.clone(),
            audit_dir: loaded.config.audit.dir.display().to_string(),
            plugins,
            started_ms: self.started_ms,
            heartbeat_ms: now_ms(),
            release: format!("{} {}", loaded.release.version, loaded.release.digest),
            admin_digest: self.admin_digest.clone(),
            left_ms: None,
        };
        if let Err(e) = fleet.heartbeat(&me).await {
            tracing::warn!("fleet: heartbeat failed (retrying): {e}");
        }
    }
}

impl Publisher {
    /// Leave the fleet (a clean stop, after the last publish).
    pub(crate) async fn leave(&self, inner: &Inner) {
        if let Some(fleet) = inner.state.fleet()
            && let Err(e) = fleet.leave(&self.host).await
        {
            tracing::warn!("fleet: leaving the fleet could not be published: {e}");
        }
    }
}

/// The complete records after `offset`, and the offset after them.
fn new_records(
    log: &std::path::Path,
    offset: u64,
    host: &str,
) -> std::io::Result<(Vec<IndexedRecord>, u64)> {
    let mut f = match crate::audit::ChainFile::open(log) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), offset)),
        Err(e) => return Err(e),
    };
    f.seek(std::io::SeekFrom::Start(offset))?;
    let mut reader = std::io::BufReader::new(f);
    let (mut out, mut at, mut line) = (Vec::new(), offset, Vec::new());
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 || line.last() != Some(&b'\n') {
            break;
        }
        at += n as u64;
        let Ok(r) = serde_json::from_slice::<Record>(&line) else {
            continue;
        };
        let whole = std::str::from_utf8(line.strip_suffix(b"\n").unwrap_or(&line))
            .ok()
            .map(str::to_owned);
        let e = r.event();
        let at_ms =
            chrono::DateTime::parse_from_rfc3339(&r.time).map_or(0, |t| t.timestamp_millis());
        out.push(IndexedRecord {
            host: r.host.clone().unwrap_or_else(|| host.to_owned()),
            seq: i64::try_from(r.seq).unwrap_or(i64::MAX),
            at_ms,
            kind: r.kind.clone(),
            task: e.as_ref().and_then(|e| e.task().map(str::to_owned)),
            agent: e.as_ref().and_then(|e| e.agent().map(str::to_owned)),
            call_id: e.as_ref().and_then(|e| e.call_id().map(str::to_owned)),
            hash: r.hash.clone(),
            line: whole,
        });
    }
    Ok((out, at))
}

/// Publish every second; ends with the host.
pub(crate) fn spawn(host: Weak<Inner>) {
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        return;
    };
    rt.spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(inner) = host.upgrade() else { return };
            if inner.shutdown.is_cancelled() {
                return;
            }
            if let Some(p) = &inner.fleet {
                p.step(&inner).await;
            }
        }
    });
}
