//! What the hosts of a fleet publish about themselves to the shared
//! database: who they are (host id, version, checkpoint public key, where
//! their chain is, loaded plugins, heartbeat) and an index of their audit
//! records and checkpoints — so that a task's story can be told across
//! hosts and every host's chain checked against what it published. Only
//! the PostgreSQL backend has it.

use crate::state::StateError;

/// One host of the fleet, as it last published itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetHost {
    /// The host id (`host-…`, from its audit key).
    pub host: String,
    /// The warrant version it runs.
    pub version: String,
    /// Its checkpoint public key (base64).
    pub checkpoint_key: String,
    /// Its audit directory.
    pub audit_dir: String,
    /// Its loaded plugins: `id version sha256:digest`, one per entry.
    pub plugins: Vec<String>,
    /// When it started, ms since the epoch.
    pub started_ms: i64,
    /// Its last heartbeat, ms since the epoch.
    pub heartbeat_ms: i64,
    /// The release of the rules it runs under: `VERSION sha256:…`.
    pub release: String,
    /// SHA-256 (hex) of its admin API read credential: while the host is
    /// a member, that credential reads on every host of the fleet.
    pub admin_digest: String,
    /// When it left the fleet (drained at a stop), ms since the epoch;
    /// `None` while it serves.
    pub left_ms: Option<i64>,
}

/// One record of a host's chain, as indexed in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedRecord {
    /// The host.
    pub host: String,
    /// The record's sequence number in that host's chain.
    pub seq: i64,
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// Its kind.
    pub kind: String,
    /// Its task, agent and call id, when it has them.
    pub task: Option<String>,
    /// The agent.
    pub agent: Option<String>,
    /// The call id.
    pub call_id: Option<String>,
    /// Its hash.
    pub hash: String,
    /// The record itself, exactly as its chain holds it (without the
    /// newline): shipped, so that the chain survives its host's disk.
    /// `None` for records published before hosts shipped them.
    pub line: Option<String>,
}

/// One signed checkpoint a host published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedCheckpoint {
    /// The host.
    pub host: String,
    /// The sequence number it covers.
    pub seq: i64,
    /// The chain's head hash there.
    pub head: String,
    /// The checkpoint as written (JSON), signature included.
    pub line: String,
}

/// The fleet's registry of hosts and their published audit index.
#[async_trait::async_trait]
pub trait FleetRegistry: Send + Sync {
    /// The fleet's id (`fleet-…`), made once when the database was set up:
    /// the audience of every signed operator action on this fleet.
    async fn fleet_id(&self) -> Result<String, StateError>;

    /// Publish (or refresh) this host's entry: its heartbeat.
    async fn heartbeat(&self, host: &FleetHost) -> Result<(), StateError>;

    /// Publish records and checkpoints of `host`; a record or checkpoint
    /// published before keeps what it was first published as (a record
    /// indexed before hosts shipped records whole gains its line, if the
    /// hash is the one indexed).
    async fn publish(
        &self,
        records: &[IndexedRecord],
        checkpoints: &[PublishedCheckpoint],
    ) -> Result<(), StateError>;

    /// Every host that ever published itself.
    async fn hosts(&self) -> Result<Vec<FleetHost>, StateError>;

    /// Host `host` left the fleet (a drained stop): no balancer should
    /// send it requests and its admin credential no longer reads
    /// elsewhere, until it publishes itself again.
    async fn leave(&self, host: &str) -> Result<(), StateError>;

    /// The highest record seq `host` published.
    async fn published_seq(&self, host: &str) -> Result<i64, StateError>;

    /// The records of `task` across the fleet, in time order.
    async fn task_records(&self, task: &str) -> Result<Vec<IndexedRecord>, StateError>;

    /// Every record `host` published: (seq, hash).
    async fn host_records(&self, host: &str) -> Result<Vec<(i64, String)>, StateError>;

    /// The records `host` shipped whole, in seq order: (seq, the record's
    /// line).
    async fn shipped(&self, host: &str) -> Result<Vec<(i64, String)>, StateError>;

    /// Every checkpoint `host` published.
    async fn host_checkpoints(&self, host: &str) -> Result<Vec<PublishedCheckpoint>, StateError>;

    /// Completed calls per host since `since_ms`.
    async fn calls_since(&self, since_ms: i64) -> Result<Vec<(String, i64)>, StateError>;
}
