//! `warrant fleet status`, and the fleet-wide `audit show --task … --fleet`
//! and `audit verify --fleet`: what the hosts sharing this config's
//! PostgreSQL database published of themselves and their chains.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::anyhow;

use crate::HostConfig;
use crate::audit::{AuditPaths, Filter, Record, read_records};
use crate::state::{FleetHost, SharedState, now_ms};
use crate::statedir::StateDir;
use crate::vocab::safe;

/// The fleet.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Every host that published itself: last heartbeat, version, calls
    /// per second over the last minute, loaded plugins (drift between
    /// hosts shown), and the fleet's stop state.
    Status {
        #[command(flatten)]
        config: crate::cli::ConfigArg,
    },
}

/// A host silent for longer is shown as such.
const SILENT_MS: i64 = 5_000;

pub(crate) fn state(config: &Path) -> anyhow::Result<(HostConfig, Arc<dyn SharedState>)> {
    let cfg = HostConfig::load(config)?;
    if cfg.state.postgres.is_none() {
        return Err(anyhow!(
            "{} has no [state] url: this host is not part of a fleet (its state is SQLite in its state directory)",
            config.display()
        ));
    }
    let dir = StateDir::create(&cfg.state_dir)?;
    let state = crate::operator::open_state(&cfg, &dir)?;
    Ok((cfg, state))
}

pub async fn run(c: Command) -> anyhow::Result<ExitCode> {
    let Command::Status { config } = c;
    let (_, state) = state(&config.config)?;
    let fleet = state.fleet().ok_or_else(|| anyhow!("not a fleet"))?;
    let hosts = fleet.hosts().await?;
    let now = now_ms();
    let calls: HashMap<String, i64> = fleet.calls_since(now - 60_000).await?.into_iter().collect();
    out!("{} host(s):", hosts.len());
    for h in &hosts {
        let age = now - h.heartbeat_ms;
        out!(
            "  {}  {}  warrant {}  heartbeat {:.1} s ago  {:.2} calls/s  chain {}",
            safe(&h.host),
            if age > SILENT_MS { "SILENT" } else { "live  " },
            safe(&h.version),
            age as f64 / 1000.0,
            *calls.get(&h.host).unwrap_or(&0) as f64 / 60.0,
            safe(&h.audit_dir)
        );
        out!(
            "      rules: {}",
            if h.release.is_empty() {
                "(not published: an older warrant)".to_owned()
            } else {
                format!("release {}", safe(&h.release))
            }
        );
        for p in &h.plugins {
            out!("      {}", safe(p));
        }
    }
    // The rules: every live host on the fleet's release in force.
    let in_force = state
        .release_in_force()
        .await?
        .map(|r| format!("{} {}", r.version, r.digest));
    out!(
        "rules in force: {}",
        in_force.as_deref().map_or_else(
            || "no release".to_owned(),
            |r| format!("release {}", safe(r))
        )
    );
    for h in hosts.iter().filter(|h| now - h.heartbeat_ms <= SILENT_MS) {
        if in_force.as_deref().is_some_and(|r| h.release != r) {
            out!(
                "DRIFT: host {} runs rules release {}, not the fleet's release in force",
                safe(&h.host),
                safe(&h.release)
            );
        }
    }
    // The same plugin, loaded differently on different live hosts.
    let mut by_plugin: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for h in hosts.iter().filter(|h| now - h.heartbeat_ms <= SILENT_MS) {
        for p in &h.plugins {
            let (id, rest) = p.split_once(' ').unwrap_or((p, ""));
            by_plugin
                .entry(id.to_owned())
                .or_default()
                .insert((rest.to_owned(), h.host.clone()));
        }
    }
    for (id, seen) in &by_plugin {
        let kinds: BTreeSet<&String> = seen.iter().map(|(k, _)| k).collect();
        if kinds.len() > 1 {
            let list: Vec<String> = seen.iter().map(|(k, h)| format!("{h}: {k}")).collect();
            out!(
                "DRIFT: {} differs between hosts — {}",
                safe(id),
                safe(&list.join("; "))
            );
        }
    }
    let stops = state.stop_state().await?;
    out!(
        "stop state: {}; {} agent(s) quarantined, {} plugin(s) disabled, {} token(s) revoked",
        stops
            .halted
            .as_ref()
            .map_or("serving".to_owned(), |h| format!(
                "HALTED by {} ({})",
                safe(&h.by),
                safe(&h.reason)
            )),
        stops.agents.len(),
        stops.plugins.len(),
        stops.tokens.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `audit show --task T --fleet`: the task's records from every host, in
/// time order, each with its host — from the records the hosts shipped to
/// the shared store (from a host's own chain for records published before
/// hosts shipped them whole).
pub async fn show_task(config: &Path, task: &str) -> anyhow::Result<ExitCode> {
    let (cfg, state) = state(config)?;
    let fleet = state.fleet().ok_or_else(|| anyhow!("not a fleet"))?;
    let index = fleet.task_records(task).await?;
    let hosts: HashMap<String, FleetHost> = fleet
        .hosts()
        .await?
        .into_iter()
        .map(|h| (h.host.clone(), h))
        .collect();
    let mut per_host: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &index {
        *per_host.entry(r.host.as_str()).or_default() += 1;
    }
    if per_host.is_empty() {
        out!("no host published records of task {}", safe(task));
        return Ok(ExitCode::SUCCESS);
    }
    let mut all: Vec<(String, Record)> = Vec::new();
    for (host, n) in &per_host {
        // Shipped whole: the shared store tells the story, no disk needed.
        let lines: Option<Vec<Record>> = index
            .iter()
            .filter(|r| r.host == *host)
            .map(|r| r.line.as_deref().and_then(|l| serde_json::from_str(l).ok()))
            .collect();
        if let Some(rs) = lines {
            all.extend(rs.into_iter().map(|r| ((*host).to_owned(), r)));
            continue;
        }
        let Some(h) = hosts.get(*host) else {
            out!(
                "host {}: {n} record(s) indexed, but the host never published where its chain is",
                safe(host)
            );
            continue;
        };
        let paths = AuditPaths::in_dir(Path::new(&h.audit_dir));
        let filter = Filter {
            task: Some(task.to_owned()),
            ..Filter::default()
        };
        match read_records(&paths.log, &filter) {
            Ok(rs) => all.extend(rs.into_iter().map(|r| ((*host).to_owned(), r))),
            Err(e) => out!(
                "host {}: chain not readable at {}: {e}",
                safe(host),
                paths.log.display()
            ),
        }
    }
    all.sort_by(|a, b| {
        a.1.time
            .cmp(&b.1.time)
            .then(a.0.cmp(&b.0))
            .then(a.1.seq.cmp(&b.1.seq))
    });
    let list: Vec<String> = per_host.iter().map(|(h, n)| format!("{h} ({n})")).collect();
    out!(
        "task {} across {} host(s): {}",
        safe(task),
        per_host.len(),
        list.join(", ")
    );
    let ops = Some(cfg.operators.as_slice());
    let mut books: HashMap<String, crate::audit::RuleBook> = HashMap::new();
    for (host, r) in &all {
        // Each host's signatures under the rules it archived beside its chain.
        let book = books.entry(host.clone()).or_insert_with(|| {
            crate::audit::RuleBook::at(Path::new(
                &hosts
                    .get(host)
                    .map(|h| h.audit_dir.clone())
                    .unwrap_or_default(),
            ))
        });
        let text = crate::audit::timeline_under(std::slice::from_ref(r), ops, book);
        for (i, line) in text.lines().enumerate() {
            if i == 0 {
                out!("{} {line}", safe(host));
            } else {
                out!("{:w$} {line}", "", w = host.len());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
