//! A real host in a temporary directory: components copied in, manifests
//! written and signed with a fresh publisher key, a host config with agents,
//! approvers, operators and policies.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use warrant::keys::{Algorithm, KeyFile, generate};
use warrant::manifest::{Manifest, ManifestTool, sign};
use warrant::operator::OperatorActions;
use warrant::{Host, HostConfig, HostOptions};

use crate::probe::probe_bytes;

/// One plugin in a fixture.
#[derive(Debug, Clone)]
pub struct PluginSpec {
    /// The component package (see `COMPONENTS`).
    pub package: &'static str,
    /// Plugin id.
    pub id: String,
    /// Version.
    pub version: String,
    /// The body of `[grants]`, as TOML.
    pub grants: String,
    /// The body of `[limits]`, as TOML.
    pub limits: String,
    /// Extra lines in this plugin's `[[plugins]]` entry of the host config.
    pub entry: String,
    /// The action owner of every tool.
    pub action_owner: String,
    /// A component built elsewhere (Python, TypeScript), instead of
    /// `package`.
    pub path: Option<PathBuf>,
}

impl PluginSpec {
    /// A plugin with no grants and default limits; its id is the package.
    pub fn new(package: &'static str) -> Self {
        Self {
            package,
            id: package.to_owned(),
            version: "1.0.0".into(),
            grants: String::new(),
            limits: String::new(),
            entry: String::new(),
            action_owner: "test-owner".into(),
            path: None,
        }
    }

    /// A plugin `id` whose component is the file `path` (built by the tests
    /// from Python or TypeScript, see [`crate::authors`]).
    pub fn built(id: &str, path: PathBuf) -> Self {
        Self {
            id: id.to_owned(),
            path: Some(path),
            ..Self::new("built")
        }
    }

    /// Set the action owner of every tool.
    #[must_use]
    pub fn action_owner(mut self, owner: &str) -> Self {
        self.action_owner = owner.to_owned();
        self
    }

    /// Set `[grants]`.
    #[must_use]
    pub fn grants(mut self, toml: &str) -> Self {
        self.grants = toml.to_owned();
        self
    }

    /// Set `[limits]`.
    #[must_use]
    pub fn limits(mut self, toml: &str) -> Self {
        self.limits = toml.to_owned();
        self
    }

    /// Add lines to the config's plugin entry.
    #[must_use]
    pub fn entry(mut self, toml: &str) -> Self {
        self.entry = toml.to_owned();
        self
    }

    /// Set the version.
    #[must_use]
    pub fn version(mut self, v: &str) -> Self {
        self.version = v.to_owned();
        self
    }
}

/// Builds a [`Fixture`].
#[derive(Debug, Default)]
pub struct FixtureBuilder {
    plugins: Vec<PluginSpec>,
    agents: String,
    policy: Option<String>,
    extra: String,
    host: String,
    approvals: String,
    operators: Vec<(String, String, String)>,
    pub(crate) governors: Option<crate::governors::Governors>,
}

/// Allow every call (the host still checks tokens, grants and scope).
pub const PERMIT_ALL: &str = "@id(\"test-permit-all\")\npermit (principal, action, resource);\n";

impl FixtureBuilder {
    /// Add a plugin.
    #[must_use]
    pub fn plugin(mut self, p: PluginSpec) -> Self {
        self.plugins.push(p);
        self
    }

    /// Add an agent owned by `<id>-owner` with these tool patterns.
    #[must_use]
    pub fn agent(mut self, id: &str, tools: &[&str]) -> Self {
        let _ = writeln!(
            self.agents,
            "[[agents]]\nid = {id:?}\nowner = \"{id}-owner\"\nmodel = \"test-model\"\nmodel-owner = \"test-model-owner\"\ntools = {tools:?}\n"
        );
        self
    }

    /// Add an agent as raw TOML.
    #[must_use]
    pub fn agent_toml(mut self, toml: &str) -> Self {
        self.agents.push_str(toml);
        self.agents.push('\n');
        self
    }

    /// The Cedar policies (default: permit all).
    #[must_use]
    pub fn policy(mut self, cedar: &str) -> Self {
        self.policy = Some(cedar.to_owned());
        self
    }

    /// Extra host-config TOML (tables after the generated ones).
    #[must_use]
    pub fn config(mut self, toml: &str) -> Self {
        self.extra.push_str(toml);
        self.extra.push('\n');
        self
    }

    /// Extra lines in the `[approvals]` table (`required = …`,
    /// `four-eyes = true`).
    #[must_use]
    pub fn approvals(mut self, toml: &str) -> Self {
        self.approvals.push_str(toml);
        self.approvals.push('\n');
        self
    }

    /// Another operator with a fresh key: its name, roles and approves
    /// as TOML arrays.
    #[must_use]
    pub fn operator(mut self, name: &str, roles: &str, approves: &str) -> Self {
        self.operators
            .push((name.to_owned(), roles.to_owned(), approves.to_owned()));
        self
    }

    /// Extra lines in the `[host]` table.
    #[must_use]
    pub fn host_lines(mut self, toml: &str) -> Self {
        self.host.push_str(toml);
        self.host.push('\n');
        self
    }

    /// Write everything and sign the manifests.
    ///
    /// # Panics
    ///
    /// On any I/O error: tests want to stop there.
    pub async fn build(self) -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().to_path_buf();
        let key = generate("test-publisher", Algorithm::Ed25519).expect("key");
        std::fs::create_dir_all(root.join("components")).unwrap();
        let cache = crate::workspace_root()
            .join("target")
            .join("warrant-test-cache");
        let public = match key.signing_key().unwrap() {
            warrant::keys::SigningKey::Ed25519(k) => base64_encode(&k.verifying_key().to_bytes()),
            warrant::keys::SigningKey::Hmac(_) => unreachable!(),
        };
        let mut cfg = format!(
            "[host]\nstate-dir = \"state\"\n{}\n[sandbox]\ncache-dir = {:?}\nmax-instances = 96\n\n[[trust.keys]]\nid = \"test-publisher\"\nalgorithm = \"ed25519\"\npublic-key = {public:?}\n\n",
            self.host,
            cache.display().to_string()
        );
        for p in &self.plugins {
            let fixture = Fixture {
                dir: None,
                root: root.clone(),
                key: key.clone(),
                audience: std::sync::OnceLock::new(),
            };
            fixture.write_manifest(p).await;
            let _ = writeln!(
                cfg,
                "[[plugins]]\nmanifest = \"{}.toml\"\n{}\n",
                p.id, p.entry
            );
        }
        cfg.push_str(&self.agents);
        cfg.push_str(&crate::operators::write_operators(&root, &self.operators));
        if let Some(g) = &self.governors {
            cfg.push_str(&crate::governors::write_governors(&root, g));
        }
        let _ = writeln!(
            cfg,
            "[approvals]\nwait = \"3s\"\nexpiry = \"10m\"\n{}\n[policy]\nfiles = [\"policy.cedar\"]\n",
            self.approvals
        );
        cfg.push_str(&self.extra);
        std::fs::write(root.join("warrant.toml"), cfg).unwrap();
        std::fs::write(
            root.join("policy.cedar"),
            self.policy.as_deref().unwrap_or(PERMIT_ALL),
        )
        .unwrap();
        Fixture {
            dir: Some(dir),
            root,
            key,
            audience: std::sync::OnceLock::new(),
        }
    }
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// A host's files in a temporary directory.
#[derive(Debug)]
pub struct Fixture {
    pub(crate) dir: Option<tempfile::TempDir>,
    pub(crate) root: PathBuf,
    /// The publisher key that signed the manifests.
    pub key: KeyFile,
    /// The audience of its operators' signed actions, once looked up.
    pub(crate) audience: std::sync::OnceLock<String>,
}

impl Fixture {
    /// Start building.
    pub fn builder() -> FixtureBuilder {
        FixtureBuilder::default()
    }

    /// The fixture's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A path inside the fixture.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// The host config file.
    pub fn config_path(&self) -> PathBuf {
        self.root.join("warrant.toml")
    }

    /// The loaded host config.
    ///
    /// # Panics
    ///
    /// When it does not load.
    pub fn config(&self) -> HostConfig {
        HostConfig::load(&self.config_path()).expect("config loads")
    }

    /// Start a host on this fixture.
    ///
    /// # Panics
    ///
    /// When it does not start.
    pub async fn host(&self) -> Host {
        Host::open(
            self.config(),
            HostOptions {
                insecure: false,
                record_loads: true,
                ..HostOptions::default()
            },
        )
        .await
        .expect("host starts")
    }

    /// Operator actions on this fixture's state.
    ///
    /// # Panics
    ///
    /// When the state cannot be opened.
    pub async fn admin(&self) -> OperatorActions {
        OperatorActions::open(self.config())
            .await
            .expect("operator actions open")
    }

    /// Write `<id>.toml` for a plugin, signed with the fixture's key, and
    /// copy its component beside it.
    ///
    /// # Panics
    ///
    /// On I/O errors.
    pub async fn write_manifest(&self, p: &PluginSpec) -> Manifest {
        let (bytes, key) = match &p.path {
            Some(path) => (
                std::fs::read(path).expect("built component"),
                path.display().to_string(),
            ),
            None => (crate::component_bytes(p.package), p.package.to_owned()),
        };
        let file = format!("components/{}-{}.wasm", p.id, p.version);
        std::fs::write(self.root.join(&file), &bytes).unwrap();
        let tools = probe_bytes(&key, &bytes).await;
        let mut text = format!(
            "manifest-version = 1\n\n[plugin]\nid = {:?}\nversion = {:?}\npublisher = \"test-publisher\"\ncomponent = {file:?}\n\n[grants]\n{}\n\n[limits]\n{}\n",
            p.id, p.version, p.grants, p.limits
        );
        text.push('\n');
        let mut m = Manifest::from_toml_draft(&text).expect("draft manifest parses");
        m.plugin.digest = Some(format!("sha256:{}", warrant::keys::sha256_hex(&bytes)));
        m.tools = tools
            .into_iter()
            .map(|t| ManifestTool {
                name: t.name,
                description: t.description,
                impact: t.impact,
                action_owner: p.action_owner.clone(),
                input_schema: t.input_schema,
                output_schema: t.output_schema,
            })
            .collect();
        m.validate().expect("manifest is valid");
        sign(&mut m, &self.key.id, &self.key.signing_key().unwrap());
        std::fs::write(self.root.join(format!("{}.toml", p.id)), m.to_toml()).unwrap();
        m
    }

    /// Run the `warrant` CLI (built by this crate) with this fixture's config.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        self.cli_command(args).output().expect("the CLI runs")
    }

    /// A `warrant` CLI command with this fixture's config.
    pub fn cli_command(&self, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new(crate::cli::cli_path());
        if crate::cli::embeds_cli() {
            c.env(crate::cli::EMBEDDED_CLI_ENV, "1");
        }
        c.args(args)
            .env("WARRANT_CONFIG", self.config_path())
            .env_remove("WARRANT_TOKEN")
            .env_remove("WARRANT_OPERATOR_KEY")
            .env("RUST_LOG", "warn");
        c
    }

    /// Keep the directory after the test (for debugging).
    pub fn keep(mut self) -> PathBuf {
        if let Some(d) = self.dir.take() {
            let _ = d.keep();
        }
        self.root.clone()
    }
}
