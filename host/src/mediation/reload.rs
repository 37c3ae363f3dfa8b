//! Reloading config and trust while serving — on SIGHUP, on an operator's
//! `warrant reload` (through the shared state), on a change of the config
//! or policy files, and when a loaded plugin's signing key or manifest
//! expires: re-verify every plugin under the new trust,
//! swap in what verifies, unload what does not and cancel its calls in
//! flight, and record each change in the chain.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use crate::audit::event::{ConfigReloaded, Event};
use crate::config::HostConfig;
use crate::mediation::loading::{build, record_loads, refusal_event};
use crate::mediation::{Host, Inner};

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadReport {
    /// Whether the new config is in use (false: it was refused, see
    /// `error`, and the old one kept).
    pub applied: bool,
    /// Plugins loaded now.
    pub loaded: Vec<String>,
    /// Plugins loaded before and not now.
    pub unloaded: Vec<String>,
    /// Calls in flight cancelled because their plugin was unloaded.
    pub cancelled: u64,
    /// Why the new config was refused.
    pub error: Option<String>,
}

impl Host {
    /// Reload the config file and trust, re-verify and reload the plugins.
    /// `trigger` says why (`signal`, `operator`, `file-change`, `expiry`); `by` who
    /// asked, for an operator's request.
    pub async fn reload(&self, trigger: &str, by: Option<&str>) -> ReloadReport {
        let inner = &self.inner;
        let _one = inner.reloading.lock().await;
        let old = self.loaded();
        let mut files_differ = None;
        let attempt = match HostConfig::load(&old.config.path) {
            Ok(files) => match self.governed(&files, trigger).await {
                Ok(governed) => {
                    files_differ = governed.files_differ;
                    let mut config = governed.config;
                    if let Some(w) = inner.opts.approval_wait {
                        config.approvals.wait = w;
                    }
                    build(
                        &Arc::new(config),
                        &governed.release,
                        &inner.sandbox,
                        &inner.state_dir,
                        &inner.state,
                        &inner.audit,
                        inner.opts,
                    )
                    .await
                    .map(|mut l| {
                        l.operator.keep_sessions(&old.operator);
                        l
                    })
                    .map_err(|e| e.to_string())
                }
                Err(e) => Err(e),
            },
            Err(e) => Err(e.to_string()),
        };
        let before: Vec<String> = old.registry.plugins().map(|p| p.id().to_owned()).collect();
        let report = match attempt {
            Err(error) => {
                tracing::error!("reload ({trigger}) refused, keeping the running config: {error}");
                ReloadReport {
                    applied: false,
                    loaded: before,
                    unloaded: Vec::new(),
                    cancelled: 0,
                    error: Some(error),
                }
            }
            Ok(new) => {
                let loaded: Vec<String> =
                    new.registry.plugins().map(|p| p.id().to_owned()).collect();
                let unloaded: Vec<String> = before
                    .iter()
                    .filter(|id| !loaded.contains(id))
                    .cloned()
                    .collect();
                // A call keeps running only if its plugin is still loaded
                // with the same component.
                let cancelled = inner.inflight.cancel_where(|call| {
                    match new.registry.get(&call.plugin) {
                        Some(p) if p.manifest.component_digest() == call.component_digest => None,
                        _ => Some(format!(
                            "plugin {} was unloaded by a reload ({trigger}): it no longer verifies under the host's config and trust",
                            call.plugin
                        )),
                    }
                });
                if inner.opts.record_loads {
                    record_loads(&inner.audit, &new.registry, inner.opts.insecure).await;
                } else {
                    for r in new.registry.refusals() {
                        let _ = inner.audit.append(&refusal_event(r), false).await;
                    }
                }
                *inner.loaded.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(new);
                ReloadReport {
                    applied: true,
                    loaded,
                    unloaded,
                    cancelled,
                    error: files_differ,
                }
            }
        };
        let event = Event::ConfigReloaded(ConfigReloaded {
            trigger: trigger.to_owned(),
            by: by.map(str::to_owned),
            loaded: report.loaded.clone(),
            unloaded: report.unloaded.clone(),
            cancelled_calls: report.cancelled,
            applied: report.applied,
            error: report.error.clone(),
        });
        if let Err(e) = inner.audit.append(&event, true).await {
            tracing::error!("the reload could not be recorded in the audit chain: {e}");
        }
        report
    }

    /// The rules `files` run under on this host's state: the release in
    /// force (applying a signed or development candidate; recording a
    /// refusal once).
    async fn governed(
        &self,
        files: &HostConfig,
        trigger: &str,
    ) -> Result<crate::operator::rules::InForce, String> {
        use crate::operator::rules::{Keeper, Look, in_force};
        let inner = &self.inner;
        let keeper = Keeper::new(inner.state.as_ref(), &inner.audit, &files.audit.dir)
            .map_err(|e| e.to_string())?
            .recording(&inner.refused_release);
        let look = Look::Reload(match trigger {
            "signal" => "signal",
            "operator" => "operator",
            "file-change" => "file-change",
            "expiry" => "expiry",
            "release" => "fleet",
            _ => "reload",
        });
        in_force(files, &keeper, look)
            .await
            .map_err(|e| e.to_string())
    }

    /// Reload on SIGHUP until the host shuts down (a server calls this).
    pub fn reload_on_sighup(&self) {
        #[cfg(unix)]
        {
            let Ok(rt) = tokio::runtime::Handle::try_current() else {
                return;
            };
            let weak = Arc::downgrade(&self.inner);
            rt.spawn(async move {
                use tokio::signal::unix::{SignalKind, signal};
                let Ok(mut hup) = signal(SignalKind::hangup()) else {
                    return;
                };
                while hup.recv().await.is_some() {
                    let Some(inner) = weak.upgrade() else { return };
                    let report = Host { inner }.reload("signal", None).await;
                    tracing::warn!("reloaded on SIGHUP: {report:?}");
                }
            });
        }
    }
}

/// Called by the watcher on every tick: apply a reload an operator asked
/// for through the shared state, or (with `watch_files`) one the config or
/// policy files call for.
pub(crate) async fn poll(inner: &Arc<Inner>) {
    let host = Host {
        inner: Arc::clone(inner),
    };
    if let Ok((generation, by)) = inner.state.reload_request().await
        && generation > inner.reloaded.load(Ordering::Acquire)
    {
        inner.reloaded.store(generation, Ordering::Release);
        // In a task of its own, so the watcher keeps applying stops while
        // the plugins load.
        tokio::spawn(async move {
            // A release stored by another process (or host) is a change of
            // the rules, not an operator's request.
            match by.as_deref() {
                Some(b) if b.starts_with("release ") => host.reload("release", None).await,
                _ => host.reload("operator", by.as_deref()).await,
            };
        });
        return;
    }
    if let Some(at) = host.loaded().expires
        && chrono::Utc::now() > at
    {
        let mut done = inner
            .expiry_reloaded
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if *done != Some(at) {
            *done = Some(at);
            drop(done);
            tokio::spawn(async move {
                host.reload("expiry", None).await;
            });
            return;
        }
    }
    if inner.opts.watch_files {
        let stamp = file_stamp(&host.loaded().config);
        let mut seen = inner.file_stamp.lock().unwrap_or_else(|p| p.into_inner());
        match &*seen {
            None => *seen = Some(stamp),
            Some(old) if *old != stamp => {
                *seen = Some(stamp);
                drop(seen);
                tokio::spawn(async move {
                    host.reload("file-change", None).await;
                });
            }
            Some(_) => {}
        }
    }
}

/// When the config and policy files last changed.
fn file_stamp(config: &HostConfig) -> Vec<Option<SystemTime>> {
    let mut paths = vec![config.path.clone()];
    paths.extend(config.file.policy.files.iter().map(|f| config.resolve(f)));
    paths
        .iter()
        .map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .collect()
}
