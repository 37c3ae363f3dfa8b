//! Building what a host runs with from a config — plugins loaded and
//! verified, authorization over them — and recording what was loaded and
//! what was refused.

use std::sync::Arc;

use crate::audit::AuditLog;
use crate::audit::event::{Event, PluginLoaded, PluginRefused};
use crate::authz::Authz;
use crate::config::HostConfig;
use crate::mediation::Loaded;
use crate::mediation::options::{HostError, HostOptions};
use crate::operator::OperatorActions;
use crate::registry::{LoadOptions, Refused, Registry};
use crate::sandbox::Sandbox;
use crate::state::SharedState;
use crate::statedir::StateDir;

/// Load the plugins of `config` and build authorization over them.
pub(crate) async fn build(
    config: &Arc<HostConfig>,
    release: &crate::governance::ReleaseRef,
    sandbox: &Sandbox,
    state_dir: &StateDir,
    state: &Arc<dyn SharedState>,
    audit: &Arc<AuditLog>,
    opts: HostOptions,
) -> Result<Loaded, HostError> {
    let load = LoadOptions {
        insecure: opts.insecure,
        ..LoadOptions::default()
    };
    let registry = Registry::load(config, sandbox, state.as_ref(), load).await;
    let authz = Authz::new(
        Arc::clone(config),
        state_dir,
        Arc::clone(state),
        &registry.policy_view(),
    )?;
    let operator = OperatorActions::with(
        Arc::clone(config),
        state_dir,
        Arc::clone(state),
        Arc::clone(audit),
    )?
    .under(release.clone());
    let expires = registry
        .plugins()
        .filter_map(|p| {
            let key = p
                .manifest
                .signer()
                .and_then(|id| config.trust.keys().iter().find(|k| k.id == id))
                .and_then(|k| k.not_after);
            [key, p.manifest.terms().expires]
                .into_iter()
                .flatten()
                .min()
        })
        .min();
    Ok(Loaded {
        config: Arc::clone(config),
        registry,
        authz,
        operator,
        expires,
        release: release.clone(),
    })
}

/// Record every plugin loaded or refused.
pub(crate) async fn record_loads(audit: &AuditLog, registry: &Registry, insecure: bool) {
    for p in registry.plugins() {
        let m = p.manifest.manifest();
        let event = Event::PluginLoaded(Box::new(PluginLoaded {
            plugin: m.plugin.id.clone(),
            plugin_version: m.plugin.version.clone(),
            component_digest: p.manifest.component_digest(),
            manifest_digest: p.manifest.manifest_digest().to_owned(),
            signer: p.manifest.signer().map(str::to_owned),
            tools: m.tools.iter().map(|t| t.name.clone()).collect(),
            insecure,
        }));
        let _ = audit.append(&event, false).await;
    }
    for r in registry.refusals() {
        let _ = audit.append(&refusal_event(r), false).await;
    }
}

/// The `plugin.refused` record of a refusal: everything known of it.
pub(crate) fn refusal_event(r: &Refused) -> Event {
    let m = r.manifest.as_ref().map(|m| &m.0);
    Event::PluginRefused(Box::new(PluginRefused {
        manifest: Some(r.manifest_path.display().to_string()),
        plugin: m.map(|m| m.plugin.id.clone()),
        plugin_version: m.map(|m| m.plugin.version.clone()),
        component_digest: r.component_digest.clone(),
        manifest_digest: m.map(crate::manifest::manifest_digest),
        signer: r.signer.clone(),
        check: r.error.check().to_owned(),
        reason: crate::vocab::cap(&r.error.to_string()),
    }))
}
