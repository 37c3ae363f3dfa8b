//! `[state]`: where the shared state lives. Without it, SQLite in the state
//! directory (the embedded default: one machine, a server and its CLI);
//! with `url`, a PostgreSQL database shared by a fleet of hosts.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// `[state]` as written.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StateSection {
    /// `postgres://user@host[:port]/database`. A password in the URL is
    /// accepted; `password-file` keeps it out of the config.
    pub url: Option<String>,
    /// A file holding the database password (relative to the config).
    pub password_file: Option<String>,
    /// TLS to the database: default on unless the host is loopback.
    pub tls: Option<bool>,
    /// PEM files of CAs for the database's certificate (besides the web
    /// roots).
    #[serde(default)]
    pub ca_files: Vec<String>,
    /// The most pooled connections per process. Default 16.
    pub pool: Option<usize>,
    /// How long ordinary calls may go on, on the stop state last read,
    /// while the database is unreachable (each such decision recorded as
    /// degraded; high-impact calls and approvals are refused at once).
    /// Default `30s`; `0s` fails closed at once.
    pub degraded_for: Option<String>,
}

/// The shared-state backend, checked.
#[derive(Debug, Clone, Default)]
pub struct StateSettings {
    /// The fleet's PostgreSQL database, when configured.
    pub postgres: Option<PostgresSettings>,
    /// How long calls may go on without the database (zero for SQLite:
    /// the embedded state fails closed).
    pub degraded_for: std::time::Duration,
}

/// A PostgreSQL database, checked.
#[derive(Clone)]
pub struct PostgresSettings {
    /// The URL.
    pub url: String,
    /// The password, from `password-file`.
    pub password: Option<String>,
    /// Whether to use TLS.
    pub tls: bool,
    /// Extra CA files.
    pub ca_files: Vec<PathBuf>,
    /// Pool size.
    pub pool: usize,
}

impl std::fmt::Debug for PostgresSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresSettings")
            .field("url", &crate::vocab::redact_url(&self.url))
            .field("tls", &self.tls)
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

/// Check `[state]`; `Err` names the field and why.
pub(crate) fn state(s: &StateSection, dir: &Path) -> Result<StateSettings, (String, String)> {
    let Some(url) = s.url.as_deref().map(str::trim).filter(|u| !u.is_empty()) else {
        if s.password_file.is_some()
            || s.tls.is_some()
            || s.pool.is_some()
            || s.degraded_for.is_some()
        {
            return Err(("state.url".into(), "the PostgreSQL URL is missing".into()));
        }
        return Ok(StateSettings::default());
    };
    let cfg: tokio_postgres::Config = url.parse().map_err(|e| {
        (
            "state.url".to_owned(),
            format!("not a PostgreSQL URL (postgres://user@host:port/database): {e}"),
        )
    })?;
    let loopback = cfg.get_hosts().iter().all(|h| match h {
        tokio_postgres::config::Host::Tcp(n) => {
            n == "localhost"
                || n.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        tokio_postgres::config::Host::Unix(_) => true,
    });
    let password = match &s.password_file {
        None => None,
        Some(f) => {
            let path = dir.join(f);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                (
                    "state.password-file".to_owned(),
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            Some(text.trim_end_matches(['\n', '\r']).to_owned())
        }
    };
    let tls = s.tls.unwrap_or(!loopback);
    if !tls && !loopback {
        tracing::warn!("[state] tls = false: the shared state crosses the network in clear");
    }
    let degraded_for = match &s.degraded_for {
        Some(t) => crate::vocab::parse_duration(t)
            .map_err(|e| ("state.degraded-for".to_owned(), e.to_string()))?,
        None => std::time::Duration::from_secs(30),
    };
    Ok(StateSettings {
        degraded_for,
        postgres: Some(PostgresSettings {
            url: url.to_owned(),
            password,
            tls,
            ca_files: s.ca_files.iter().map(|f| dir.join(f)).collect(),
            pool: s.pool.unwrap_or(16).clamp(1, 256),
        }),
    })
}
