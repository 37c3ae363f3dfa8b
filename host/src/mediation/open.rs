//! Starting a host: state directory, shared state, sandbox, audit chain,
//! plugins, authorization — and the watcher.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};

use crate::audit::{AuditKeys, AuditLog, AuditOptions};
use crate::config::HostConfig;
use crate::mediation::loading::{build, record_loads};
use crate::mediation::options::{HostError, HostOptions, sandbox_config};
use crate::mediation::{Host, Inner, fleet, inflight, recovery, watch};
use crate::sandbox::Sandbox;
use crate::state::SharedState;
use crate::statedir::StateDir;
use crate::vocab::{CancelToken, random_id};

impl Host {
    /// Start a host: sandbox, state, audit chain, plugins, agents, policies.
    /// Refused plugins are reported (and recorded with `record_loads`);
    /// the host serves the others.
    ///
    /// # Errors
    ///
    /// [`HostError`] when the host cannot run at all (a policy that does not
    /// parse or type-check, an unusable state directory, ...).
    pub async fn open(config: HostConfig, opts: HostOptions) -> Result<Self, HostError> {
        let config = Arc::new(config);
        let state_dir = StateDir::create(&config.state_dir)?;
        let state: Arc<dyn SharedState> = crate::operator::open_state(&config, &state_dir)?;
        let keys = AuditKeys::load_or_create(&state_dir)?;
        let meters = Arc::new(
            crate::telemetry::Meters::new(&config.telemetry)
                .map_err(|e| HostError::Io(e.to_string()))?,
        );
        let audit = Arc::new(AuditLog::open(
            &config.audit.dir,
            keys.clone(),
            AuditOptions {
                fsync: !opts.unsafe_no_fsync,
                reserve: config.audit.reserve,
                segment_bytes: config.audit.segment_size,
                segment_age: config.audit.segment_age,
                retain: config.audit.retain,
                archive: config.audit.archive.clone(),
                witness: config.audit.witness.clone(),
                host_id: Some(keys.host_id()),
                witnesses: crate::audit::tlog::WitnessEndpoint::of(&config.audit.witnesses),
                fsync_seconds: Some((*meters.audit_fsync()).clone()),
                ..AuditOptions::default()
            },
        )?);
        // The rules: the release in force, never unsigned files.
        let keeper =
            crate::operator::rules::Keeper::new(state.as_ref(), &audit, &config.audit.dir)?;
        let refused_release = std::sync::Mutex::new(None);
        let look = if opts.record_loads {
            crate::operator::rules::Look::Start
        } else {
            crate::operator::rules::Look::Command
        };
        let governed = if opts.candidate_rules {
            crate::operator::rules::InForce {
                config: (*config).clone(),
                release: crate::governance::ReleaseRef {
                    version: 0,
                    digest: "candidate: the files as written".into(),
                },
                mode: config.governance.mode,
                files_differ: None,
            }
        } else {
            crate::operator::rules::in_force(&config, &keeper.recording(&refused_release), look)
                .await?
        };
        let mut config = governed.config;
        if let Some(w) = opts.approval_wait {
            config.approvals.wait = w;
        }
        let config = Arc::new(config);
        for w in config.warnings() {
            tracing::warn!("{w}");
        }
        let sandbox = Sandbox::new(sandbox_config(&config))?;
        let loaded = build(
            &config,
            &governed.release,
            &sandbox,
            &state_dir,
            &state,
            &audit,
            opts,
        )
        .await?;
        if opts.record_loads {
            record_loads(&audit, &loaded.registry, opts.insecure).await;
        }
        // Every host verifies the tokens this one signs.
        loaded.authz.publish_key().await?;
        let prefix = random_id("c", 4)[2..].to_owned();
        let live = state_dir.subdir("live")?;
        let live_again = live
            .try_clone()
            .map_err(|e| HostError::Io(format!("the state directory's live/ folder: {e}")))?;
        let (alive, dead) = recovery::claim(live, &prefix)
            .map_err(|e| HostError::Io(format!("the state directory's live/ folder: {e}")))?;
        let intents = alive
            .journal(keys.mac.clone())
            .map_err(|e| HostError::Io(format!("the state directory's live/ folder: {e}")))?;
        recovery::recover(
            dead,
            &live_again,
            &audit,
            state.as_ref(),
            &keys.host_id(),
            &keys.mac,
        )
        .await;
        let (reloaded, _) = state.reload_request().await?;
        let fleet = state.fleet().map(|_| {
            // The admin read credential reads on every host of the fleet.
            let admin = state_dir
                .admin_token()
                .map(|t| crate::keys::sha256_hex(t.as_bytes()))
                .unwrap_or_default();
            fleet::Publisher::new(keys.host_id(), keys.checkpoint_public(), admin)
        });
        let host = Self {
            inner: Arc::new(Inner {
                loaded: RwLock::new(Arc::new(loaded)),
                stops: watch::StopCache::new(Arc::clone(&state), config.state.degraded_for),
                sandbox,
                state_dir,
                state,
                audit,
                opts,
                inflight: inflight::Inflight::default(),
                next_call: AtomicU64::new(1),
                shadow_differences: AtomicU64::new(0),
                meters,
                owner: format!("{}/{prefix}", keys.host_id()),
                alive: std::sync::Mutex::new(Some(alive)),
                intents,
                refused_release,
                call_prefix: prefix,
                shutdown: CancelToken::new(),
                draining: std::sync::atomic::AtomicBool::new(false),
                reloaded: AtomicU64::new(reloaded),
                reloading: tokio::sync::Mutex::new(()),
                file_stamp: std::sync::Mutex::new(None),
                expiry_reloaded: std::sync::Mutex::new(None),
                fleet,
            }),
        };
        watch::spawn_watcher(Arc::downgrade(&host.inner));
        fleet::spawn(Arc::downgrade(&host.inner));
        Ok(host)
    }
}
