//! The fixture's operators: real Ed25519 key pairs made per fixture, their
//! `[[operators]]` entries, and helpers that sign actions with them.
//!
//! - carol: every role; approves high, write and read.
//! - dave: no role; approves high.
//! - mallory: a valid key, but no role and approves nothing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use warrant::keys::{
    ActionBody, ActionKind, Algorithm, SignedAction, SigningKey, generate, read_key_file,
    write_key_files,
};
use warrant::operator::{OperatorError, OperatorSigner, Stop};
use warrant::state::Approval;

use crate::Fixture;

/// The fixture's operators: name, roles, approves.
pub const OPERATORS: [(&str, &str, &str); 3] = [
    (
        "carol",
        r#"["halt", "quarantine", "revoke", "issue", "disable", "reload", "reset-version"]"#,
        r#"["high", "write", "read"]"#,
    ),
    ("dave", "[]", r#"["high"]"#),
    ("mallory", "[]", "[]"),
];

/// Create the operators' keys under `root/operators` (the fixture's and
/// `extra`) and return their config entries.
pub(crate) fn write_operators(root: &Path, extra: &[(String, String, String)]) -> String {
    let dir = root.join("operators");
    let mut cfg = String::new();
    let all = OPERATORS.iter().map(|(n, r, a)| (*n, *r, *a)).chain(
        extra
            .iter()
            .map(|(n, r, a)| (n.as_str(), r.as_str(), a.as_str())),
    );
    for (name, roles, approves) in all {
        let key = generate(&format!("{name}-key"), Algorithm::Ed25519).expect("operator key");
        write_key_files(&key, &dir).expect("operator key files");
        let _ = writeln!(
            cfg,
            "[[operators]]\nname = {name:?}\nroles = {roles}\napproves = {approves}\nkeys = [{{ id = \"{name}-key\", public-key-file = \"operators/{name}-key.pub\" }}]\n"
        );
    }
    cfg
}

impl Fixture {
    /// Issue a token.
    ///
    /// # Panics
    ///
    /// When no token is issued.
    pub async fn token(&self, agent: &str, task: &str, tools: &[&str]) -> String {
        self.token_as("carol", agent, task, tools, 600)
            .await
            .expect("token")
            .0
    }

    /// Issue a token as operator `by`, valid `ttl_secs`.
    ///
    /// # Errors
    ///
    /// When the host refuses.
    pub async fn token_as(
        &self,
        by: &str,
        agent: &str,
        task: &str,
        tools: &[&str],
        ttl_secs: u64,
    ) -> Result<(String, warrant::authz::TaskToken), warrant::operator::OperatorError> {
        let request = warrant::keys::IssueRequest {
            agent: agent.to_owned(),
            task: task.to_owned(),
            tools: tools.iter().map(|s| (*s).to_owned()).collect(),
            ttl_secs,
        };
        let signed = self.signer(by).sign_issue(request, "test");
        self.admin().await.issue_token(&signed).await
    }

    /// The host's own token key (in `state/`), to sign tokens a test
    /// makes up; with the issuer a one-host fixture's tokens name.
    ///
    /// # Panics
    ///
    /// When the state directory has none yet (no token was issued).
    pub fn token_signer(&self) -> (warrant::authz::TokenSigner, String) {
        let dir = warrant::statedir::StateDir::open_existing(&self.path("state")).unwrap();
        let s = warrant::authz::TokenSigner::from_state_dir(&dir).unwrap();
        let iss = s.host().to_owned();
        (s, iss)
    }

    /// The private key file of operator `name` (carol, dave, mallory).
    pub fn key(&self, name: &str) -> PathBuf {
        self.path(&format!("operators/{name}-key.key"))
    }

    /// `name`'s signer.
    ///
    /// # Panics
    ///
    /// When `name` is not one of the fixture's operators.
    pub fn signer(&self, name: &str) -> OperatorSigner {
        let file = read_key_file(&self.key(name)).expect("operator key file");
        OperatorSigner::new(name, &file)
            .expect("an ed25519 key")
            .for_audience(&self.audience())
    }

    /// The audience this fixture's signed actions name: its host's id, or
    /// the fleet's id when its state is in PostgreSQL (looked up once, on
    /// a thread of its own so that async tests may call it).
    ///
    /// # Panics
    ///
    /// When the state cannot be opened.
    pub fn audience(&self) -> String {
        self.audience
            .get_or_init(|| {
                let config = self.config();
                std::thread::spawn(move || {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime")
                        .block_on(async {
                            warrant::operator::OperatorActions::open(config)
                                .await
                                .expect("operator actions open")
                                .audience()
                                .await
                                .expect("the state says whose it is")
                        })
                })
                .join()
                .expect("audience lookup")
            })
            .clone()
    }

    /// An unsigned action as `name` would sign it now: their key id, a
    /// fresh nonce, the current time; for a test to change before signing.
    pub fn body(&self, name: &str, kind: ActionKind, target: &str) -> ActionBody {
        self.sign(name, kind, target, "").action
    }

    /// Sign any `body` with `name`'s private key, whatever it says.
    ///
    /// # Panics
    ///
    /// When `name` has no key in the fixture.
    pub fn sign_body(&self, name: &str, body: ActionBody) -> SignedAction {
        let file = read_key_file(&self.key(name)).expect("operator key file");
        match file.signing_key().expect("key") {
            SigningKey::Ed25519(k) => body.sign(&k),
            SigningKey::Hmac(_) => unreachable!("operator keys are ed25519"),
        }
    }

    /// `name` signs `kind` on `target`.
    pub fn sign(&self, name: &str, kind: ActionKind, target: &str, reason: &str) -> SignedAction {
        self.signer(name).sign(kind, target, reason)
    }

    /// `name` presses a stop button, signed.
    ///
    /// # Errors
    ///
    /// When the host refuses it.
    pub async fn stop(&self, name: &str, stop: &Stop, reason: &str) -> Result<bool, OperatorError> {
        let (kind, target) = stop.action();
        let signed = self.sign(name, kind, target, reason);
        self.admin().await.stop(stop, &signed).await
    }

    /// `name` approves (or denies) the request `id`, signed over what it
    /// is bound to.
    ///
    /// # Errors
    ///
    /// When the host refuses it.
    pub async fn decide(
        &self,
        name: &str,
        id: &str,
        approve: bool,
        reason: &str,
    ) -> Result<Approval, OperatorError> {
        let admin = self.admin().await;
        let binding = admin.approval(id).await?.binding.digest();
        let signed = self
            .signer(name)
            .sign_decision(approve, id, &binding, reason);
        admin.decide(&signed).await
    }

    /// Run the CLI as operator `name`: `--key` with their key file is
    /// appended to `args`.
    pub fn cli_as(&self, name: &str, args: &[&str]) -> std::process::Output {
        self.cli_command_as(name, args)
            .output()
            .expect("the CLI runs")
    }

    /// A CLI command as operator `name`.
    pub fn cli_command_as(&self, name: &str, args: &[&str]) -> std::process::Command {
        let mut c = self.cli_command(args);
        c.arg("--key").arg(self.key(name));
        c
    }
}
