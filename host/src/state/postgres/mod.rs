//! The fleet backend: PostgreSQL, shared by many hosts and their CLIs. A
//! connection pool (deadpool-postgres) for queries; one more connection per
//! process that `LISTEN`s on `warrant_state`: every stop button, revocation
//! and reload request is committed with a `NOTIFY`, so a host learns of a
//! change made anywhere in the fleet as soon as PostgreSQL delivers it, and
//! its watcher reloads the stop state then — calls never ask the database
//! about stops. Schema migrations are applied at first use (`schema`).

mod approvals;
mod fleet;
mod freshness;
mod leases;
mod limits;
mod releases;
mod schema;
mod serving;
mod stops;
mod tx;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures_util::StreamExt as _;
use tokio::sync::OnceCell;

use super::{FleetRegistry, SharedState, StateError};

/// The channel of change notifications.
const CHANNEL: &str = "warrant_state";

/// How often the listening connection proves the database still answers.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// How long one heartbeat may take before the connection counts as gone.
const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(2);
/// After this long without a heartbeat the database is *silent*: an open
/// connection that carries nothing (a dropped route, a hung proxy) is as
/// unreachable as a closed one.
pub(crate) const SILENCE: Duration = Duration::from_secs(3);

/// How to reach the database.
#[derive(Clone)]
pub struct PostgresConfig {
    /// `postgres://user[:password]@host[:port]/db` (or key=value pairs).
    pub url: String,
    /// The password, when not in the URL (from `password-file`).
    pub password: Option<String>,
    /// Use TLS (verified against the web roots and `ca_files`).
    pub tls: bool,
    /// Extra CA certificates (PEM) for the server's certificate.
    pub ca_files: Vec<std::path::PathBuf>,
    /// The most pooled connections.
    pub pool: usize,
}

impl std::fmt::Debug for PostgresConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresConfig")
            .field("url", &crate::vocab::redact_url(&self.url))
            .field("tls", &self.tls)
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

/// Shared state in a PostgreSQL database.
pub struct PostgresState {
    pool: Pool,
    shown: String,
    migrated: OnceCell<()>,
    /// This process's stop-state changes through this handle.
    local_changes: Arc<AtomicU64>,
    /// Notifications received (and reconnections of the listener).
    pushed: Arc<AtomicU64>,
    /// Whether the listener is connected now.
    listening: Arc<AtomicBool>,
    /// When the database last answered the listener (a heartbeat or a
    /// notification), ms since the epoch.
    contact: Arc<AtomicI64>,
    listener: Option<tokio::task::JoinHandle<()>>,
    /// The slices of rate windows this process holds.
    rate_leases: crate::state::leases::RateLeases,
    /// The slices of budgets this process holds.
    use_leases: crate::state::leases::UseLeases,
}

impl std::fmt::Debug for PostgresState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresState")
            .field("database", &self.shown)
            .finish_non_exhaustive()
    }
}

impl Drop for PostgresState {
    fn drop(&mut self) {
        if let Some(l) = &self.listener {
            l.abort();
        }
    }
}

type Tls = tokio_postgres_rustls::MakeRustlsConnect;

fn pg_config(c: &PostgresConfig) -> Result<tokio_postgres::Config, String> {
    let mut cfg: tokio_postgres::Config = c.url.parse().map_err(|e| {
        format!(
            "{} is not a PostgreSQL URL: {e}",
            crate::vocab::redact_url(&c.url)
        )
    })?;
    if let Some(p) = &c.password {
        cfg.password(p.as_bytes());
    }
    cfg.connect_timeout(Duration::from_secs(5));
    cfg.application_name("warrant");
    Ok(cfg)
}

impl PostgresState {
    /// A pool on the database of `c`; nothing is connected until first
    /// use (then the schema is migrated). Within a tokio runtime, a
    /// listener for change notifications starts at once.
    ///
    /// # Errors
    ///
    /// When the URL or the TLS settings are not usable.
    pub fn open(c: &PostgresConfig) -> Result<Self, StateError> {
        let shown = crate::vocab::redact_url(&c.url);
        let err = |why: String| StateError::Db {
            path: shown.clone().into(),
            why,
        };
        let cfg = pg_config(c).map_err(err)?;
        let mgr_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = if c.tls {
            let tls = crate::outbound::tls_config(&c.ca_files).map_err(err)?;
            Manager::from_config(cfg.clone(), Tls::new((*tls).clone()), mgr_config)
        } else {
            Manager::from_config(cfg.clone(), tokio_postgres::NoTls, mgr_config)
        };
        let pool = Pool::builder(manager)
            .max_size(c.pool.max(1))
            .wait_timeout(Some(Duration::from_secs(5)))
            .create_timeout(Some(Duration::from_secs(5)))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| err(e.to_string()))?;
        let pushed = Arc::new(AtomicU64::new(0));
        let listening = Arc::new(AtomicBool::new(false));
        let contact = Arc::new(AtomicI64::new(crate::state::now_ms()));
        let listener = tokio::runtime::Handle::try_current().ok().map(|rt| {
            rt.spawn(listen(
                cfg,
                c.clone(),
                Arc::clone(&pushed),
                Arc::clone(&listening),
                Arc::clone(&contact),
            ))
        });
        Ok(Self {
            pool,
            shown,
            migrated: OnceCell::new(),
            local_changes: Arc::new(AtomicU64::new(0)),
            pushed,
            listening,
            contact,
            listener,
            rate_leases: Default::default(),
            use_leases: Default::default(),
        })
    }

    /// How long the database has been silent — no heartbeat answered for
    /// longer than [`SILENCE`] — if it is; `None` while it answers, and in
    /// a process without a listener (no runtime: nothing to hear).
    pub fn silence(&self) -> Option<Duration> {
        self.listener.as_ref()?;
        let quiet = crate::state::now_ms() - self.contact.load(Ordering::SeqCst);
        let quiet = Duration::from_millis(u64::try_from(quiet).unwrap_or(0));
        (quiet > SILENCE).then_some(quiet)
    }

    fn err(&self, e: impl std::fmt::Display) -> StateError {
        StateError::Db {
            path: self.shown.clone().into(),
            why: e.to_string(),
        }
    }

    /// A pooled connection, the schema migrated. Refused at once while
    /// the database is silent, rather than waiting on a connection that
    /// carries nothing.
    async fn client(&self) -> Result<deadpool_postgres::Client, StateError> {
        if let Some(quiet) = self.silence() {
            return Err(self.err(format!(
                "no heartbeat from the database for {} s: the connection is silent (partitioned, or a proxy hangs)",
                quiet.as_secs()
            )));
        }
        let mut c = self.pool.get().await.map_err(|e| self.err(e))?;
        self.migrated
            .get_or_try_init(|| async { schema::migrate(&mut c).await })
            .await
            .map_err(|e| self.err(e))?;
        Ok(c)
    }

    fn changed_locally(&self) {
        self.local_changes.fetch_add(1, Ordering::SeqCst);
    }

    /// Whether this process hears the fleet's change notifications now.
    pub fn listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// The database, without its password.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The change counter: notifications heard (including reconnections,
    /// after which anything may have changed) and this process's changes.
    pub(super) fn marker(&self) -> u64 {
        let pushed = self.pushed.load(Ordering::SeqCst);
        pushed
            .wrapping_mul(1 << 32)
            .wrapping_add(self.local_changes.load(Ordering::SeqCst))
    }
}

impl SharedState for PostgresState {
    fn fleet(&self) -> Option<&dyn FleetRegistry> {
        Some(self)
    }
}

/// A connection whose notifications are sent to `tx` (one `()` each).
async fn notified<T>(
    cfg: &tokio_postgres::Config,
    tls: T,
    tx: tokio::sync::mpsc::UnboundedSender<()>,
) -> Result<tokio_postgres::Client, String>
where
    T: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>,
    T::Stream: Send + 'static,
{
    let (client, mut conn) = cfg.connect(tls).await.map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let mut s = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(Ok(m)) = s.next().await {
            if matches!(m, tokio_postgres::AsyncMessage::Notification(_)) {
                let _ = tx.send(());
            }
        }
    });
    Ok(client)
}

/// Hold a `LISTEN` connection open, reconnecting after a second when it
/// drops; every notification (and every reconnection) bumps `pushed`.
/// Every [`HEARTBEAT`] the connection must answer a query within
/// [`HEARTBEAT_TIMEOUT`] (each answer and notification is recorded in
/// `contact`); one that does not is dropped and made again — a connection
/// that stays open but carries nothing is not trusted to deliver stops.
async fn listen(
    cfg: tokio_postgres::Config,
    c: PostgresConfig,
    pushed: Arc<AtomicU64>,
    listening: Arc<AtomicBool>,
    contact: Arc<AtomicI64>,
) {
    loop {
        let session = async {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
            let connecting = async {
                if c.tls {
                    let tls = crate::outbound::tls_config(&c.ca_files)?;
                    notified(&cfg, Tls::new((*tls).clone()), tx).await
                } else {
                    notified(&cfg, tokio_postgres::NoTls, tx).await
                }
            };
            let client = tokio::time::timeout(Duration::from_secs(10), connecting)
                .await
                .map_err(|_| "connecting took longer than 10 s".to_owned())??;
            client
                .batch_execute(&format!("LISTEN {CHANNEL}"))
                .await
                .map_err(|e| e.to_string())?;
            listening.store(true, Ordering::SeqCst);
            contact.store(crate::state::now_ms(), Ordering::SeqCst);
            // Whatever changed while not listening is read now.
            pushed.fetch_add(1, Ordering::SeqCst);
            let mut beat = tokio::time::interval(HEARTBEAT);
            beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    n = rx.recv() => {
                        if n.is_none() {
                            break;
                        }
                        contact.store(crate::state::now_ms(), Ordering::SeqCst);
                        pushed.fetch_add(1, Ordering::SeqCst);
                    }
                    _ = beat.tick() => {
                        match tokio::time::timeout(HEARTBEAT_TIMEOUT, client.simple_query("SELECT 1")).await {
                            Ok(Ok(_)) => contact.store(crate::state::now_ms(), Ordering::SeqCst),
                            Ok(Err(e)) => return Err(format!("the heartbeat failed: {e}")),
                            Err(_) => {
                                return Err(format!(
                                    "no answer to the heartbeat within {} s: the connection is silent",
                                    HEARTBEAT_TIMEOUT.as_secs()
                                ));
                            }
                        }
                    }
                }
            }
            drop(client);
            Ok::<(), String>(())
        };
        if let Err(e) = session.await {
            tracing::warn!("not hearing the fleet's changes (reconnecting): {e}");
        }
        if listening.swap(false, Ordering::SeqCst) {
            tracing::warn!(
                "the connection for the fleet's change notifications dropped; reconnecting"
            );
        }
        pushed.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
