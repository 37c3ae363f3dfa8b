//! `warrant dev`: one project's component in the host's sandbox, under its
//! unsigned manifest's grants and limits, with a local world around it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use tokio::sync::Mutex;

use crate::authoring::stub::Stub;
use crate::authoring::{AuthoringError, Project};
use crate::capability::credentials::Source;
use crate::publish::requested_capabilities;
use crate::sandbox::{CallReport, Capabilities, LoadedPlugin, Sandbox, SandboxConfig, Secret};
use crate::vocab::{Access, CancelToken, ToolSpec};

/// Where a granted origin's requests go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HttpMode {
    /// A local stub answering from `fixtures/http/` (the default): nothing
    /// leaves the machine.
    #[default]
    Stub,
    /// The real origin, as a host would send it.
    Real,
}

/// How the local world is set up.
#[derive(Debug, Clone, Default)]
pub struct DevOptions {
    /// Stub or real HTTP.
    pub http: HttpMode,
    /// The fixtures directory (default `fixtures/` in the project).
    pub fixtures: Option<PathBuf>,
    /// The compiled-component cache (default `build/cache` in the project).
    pub cache_dir: Option<PathBuf>,
}

/// Values for one call, over those taken from the environment: variables
/// and secrets the manifest grants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallEnv {
    /// Environment variables.
    pub env: BTreeMap<String, String>,
    /// Secrets.
    pub secrets: BTreeMap<String, String>,
}

/// One call in the harness: the sandbox's report, and the stub files that
/// were asked for but missing.
#[derive(Debug, Clone)]
pub struct DevRun {
    /// Output or failure, every capability use, duration.
    pub report: CallReport,
    /// Stub response files that did not exist.
    pub stub_misses: Vec<String>,
}

/// A project's component loaded in the host's sandbox.
#[derive(Debug)]
pub struct DevSession {
    sandbox: Sandbox,
    bytes: Vec<u8>,
    digest: String,
    base: Capabilities,
    granted_env: Vec<String>,
    granted_secrets: Vec<String>,
    stub: Option<Stub>,
    loaded: Mutex<Vec<(CallEnv, LoadedPlugin)>>,
    notes: Vec<String>,
}

impl DevSession {
    /// Load the project's component with the capabilities its manifest
    /// asks for: the same checks and limits as a host.
    ///
    /// # Ambient Authority
    ///
    /// Reads the project, creates missing fixture directories, reads the
    /// process environment for granted variables and secrets.
    ///
    /// # Errors
    ///
    /// [`AuthoringError`] when the component is not built, a host would
    /// refuse it, or the stub cannot start.
    pub async fn open(project: &Project, opts: DevOptions) -> Result<Self, AuthoringError> {
        let bytes = project.component()?;
        let digest = crate::keys::sha256_hex(&bytes);
        let mut notes = Vec::new();
        let fixtures = opts.fixtures.unwrap_or_else(|| project.fixtures());
        let mut base =
            requested_capabilities(&project.manifest_path, &project.manifest, &project.terms);
        for grant in &mut base.files {
            let local = fixtures.join(grant.guest.trim_start_matches('/'));
            if !local.is_dir() {
                std::fs::create_dir_all(&local).map_err(|e| AuthoringError::project(&local, e))?;
                notes.push(format!("created {} (empty)", local.display()));
            }
            let access = match grant.access {
                Access::Read => "read",
                Access::ReadWrite => "read-write",
            };
            notes.push(format!(
                "files: {} → {} ({access})",
                grant.guest,
                local.display()
            ));
            grant.host = local;
        }
        let stub = match (opts.http, base.http.origins.is_empty()) {
            (_, true) => None,
            (HttpMode::Stub, false) => {
                let stub = Stub::start(fixtures.join("http")).await?;
                base.http.stub = Some(stub.addr());
                let origins: Vec<String> =
                    base.http.origins.iter().map(ToString::to_string).collect();
                notes.push(format!(
                    "http: {} → a local stub answering from {} (--http real for the real origin)",
                    origins.join(", "),
                    fixtures.join("http").display()
                ));
                Some(stub)
            }
            (HttpMode::Real, false) => {
                let origins: Vec<String> =
                    base.http.origins.iter().map(ToString::to_string).collect();
                notes.push(format!("http: {} → the real origins", origins.join(", ")));
                None
            }
        };
        let granted_env = project.manifest.grants.env.clone();
        // Credentials take their values like secrets do: the host adds
        // them to the requests their bindings name.
        let granted_secrets: Vec<String> = project
            .manifest
            .grants
            .secrets
            .iter()
            .cloned()
            .chain(base.credentials.iter().map(|c| c.binding.name.clone()))
            .collect();
        for name in &granted_env {
            let from = if std::env::var_os(name).is_some() {
                "from your environment"
            } else {
                "unset (set it in your environment or with --env)"
            };
            notes.push(format!("env: {name} {from}"));
        }
        for name in &granted_secrets {
            let from = if std::env::var_os(name).is_some() {
                "from your environment"
            } else {
                "unset: reads of it fail (set it in your environment or with --secret)"
            };
            notes.push(format!("secret: {name} {from}"));
        }
        let sandbox = Sandbox::new(SandboxConfig {
            cache_dir: Some(
                opts.cache_dir
                    .unwrap_or_else(|| project.dir.join("build").join("cache")),
            ),
            fuel: base.limits.fuel.is_some(),
            max_instances: 64,
            ..SandboxConfig::default()
        })?;
        sandbox.check(&bytes, &base)?;
        Ok(Self {
            sandbox,
            bytes,
            digest,
            base,
            granted_env,
            granted_secrets,
            stub,
            loaded: Mutex::new(Vec::new()),
            notes,
        })
    }

    /// How the local world is set up, in lines to show the author.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The tools the component reports.
    ///
    /// # Errors
    ///
    /// [`AuthoringError::Load`] when it cannot be loaded.
    pub async fn tools(&self) -> Result<Vec<ToolSpec>, AuthoringError> {
        Ok(self.plugin(&CallEnv::default()).await?.tools().to_vec())
    }

    /// Run one call in a fresh instance, as a host would.
    ///
    /// # Errors
    ///
    /// [`AuthoringError`] when `env` sets something the manifest does not
    /// grant, or the component cannot be loaded.
    pub async fn call(
        &self,
        tool: &str,
        input: &str,
        env: &CallEnv,
    ) -> Result<DevRun, AuthoringError> {
        let plugin = self.plugin(env).await?;
        if let Some(stub) = &self.stub {
            stub.take_misses();
        }
        let report = plugin.call(tool, input, &CancelToken::new()).await;
        let stub_misses = self
            .stub
            .as_ref()
            .map(Stub::take_misses)
            .unwrap_or_default();
        Ok(DevRun {
            report,
            stub_misses,
        })
    }

    async fn plugin(&self, env: &CallEnv) -> Result<LoadedPlugin, AuthoringError> {
        let mut loaded = self.loaded.lock().await;
        if let Some((_, p)) = loaded.iter().find(|(e, _)| e == env) {
            return Ok(p.clone());
        }
        let caps = self.capabilities(env)?;
        let plugin = self
            .sandbox
            .load("dev", &self.bytes, &self.digest, caps)
            .await?;
        loaded.push((env.clone(), plugin.clone()));
        Ok(plugin)
    }

    fn capabilities(&self, over: &CallEnv) -> Result<Capabilities, AuthoringError> {
        let ungranted = |kind: &str, name: &str| {
            AuthoringError::project(
                "manifest.toml",
                format!("{kind} {name} is not granted by the manifest (add it under [grants])"),
            )
        };
        let mut caps = self.base.clone();
        caps.env.clear();
        for name in &self.granted_env {
            let value = over
                .env
                .get(name)
                .cloned()
                .or_else(|| std::env::var(name).ok());
            if let Some(v) = value {
                caps.env.push((name.clone(), v));
            }
        }
        for name in over.env.keys() {
            if !self.granted_env.contains(name) {
                return Err(ungranted("environment variable", name));
            }
        }
        for name in &self.granted_secrets {
            let value = over
                .secrets
                .get(name)
                .cloned()
                .or_else(|| std::env::var(name).ok());
            let Some(v) = value else { continue };
            match caps
                .credentials
                .iter_mut()
                .find(|c| &c.binding.name == name)
            {
                Some(c) => c.source = Some(Source::Value(Secret::new(v))),
                None => {
                    caps.secrets.insert(name.clone(), Secret::new(v));
                }
            }
        }
        for name in over.secrets.keys() {
            if !self.granted_secrets.contains(name) {
                return Err(ungranted("secret", name));
            }
        }
        Ok(caps)
    }
}
