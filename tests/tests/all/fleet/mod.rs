//! A fleet: two `warrant serve` processes, each with its own state
//! directory (keys, audit chain) and config, sharing one real PostgreSQL
//! database (`warrant_tests::postgres`). What one host or CLI does there,
//! every host obeys: stop buttons, approvals, rate windows, version marks,
//! operator nonces.

mod audit;
mod balanced;
mod console;
mod degraded;
mod deploy;
pub(crate) mod lb;
mod leases;
mod load;
pub(crate) mod shared;

use std::io::BufRead as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use warrant::HostConfig;
use warrant::keys::IssueRequest;
use warrant::operator::OperatorActions;
use warrant_tests::{Fixture, fixture_cli};

/// One host of the fleet.
pub(crate) struct Member {
    pub(crate) config: PathBuf,
    pub(crate) base: String,
    child: Child,
}

impl Member {
    /// Kill it without warning (SIGKILL), and reap it.
    pub(crate) fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Its process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Wait until it has stopped.
    pub(crate) fn wait(&mut self) -> std::process::ExitStatus {
        self.child.wait().unwrap()
    }

    /// Ask it to stop (SIGTERM) and wait until it has: drained, its chain
    /// flushed and shipped, the fleet left.
    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().unwrap()
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

/// The config of host `name` of the fleet on `url`: the fixture's, with
/// its own state directory and the shared database.
pub(crate) fn member_config(fx: &Fixture, url: &str, name: &str) -> PathBuf {
    let base = std::fs::read_to_string(fx.config_path()).unwrap();
    let cfg = base.replacen(
        "state-dir = \"state\"",
        &format!("state-dir = \"state-{name}\""),
        1,
    );
    let path = fx.path(&format!("host-{name}.toml"));
    std::fs::write(
        &path,
        format!("{cfg}\n[state]\nurl = \"{url}\"\npool = 4\n"),
    )
    .unwrap();
    path
}

/// Start `warrant serve` with `config`.
pub(crate) fn start(config: PathBuf) -> Member {
    start_with(config, &["--listen", "127.0.0.1:0"])
}

/// Start `warrant serve` with `config` and `args`.
#[allow(clippy::zombie_processes)]
pub(crate) fn start_with(config: PathBuf, args: &[&str]) -> Member {
    let mut child = Command::new(fixture_cli())
        .arg("serve")
        .args(args)
        .env("WARRANT_CONFIG", &config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "serve exited before listening"
        );
        if let Some(rest) = line.trim().strip_prefix("warrant: serving on ") {
            let base = rest.to_owned();
            std::thread::spawn(move || {
                for l in err.lines().map_while(Result::ok) {
                    eprintln!("[serve] {l}");
                }
            });
            return Member {
                config,
                base,
                child,
            };
        }
    }
}

/// Operator actions on the fleet through host `config`.
pub(crate) async fn ops(config: &std::path::Path) -> OperatorActions {
    OperatorActions::open(HostConfig::load(config).unwrap())
        .await
        .unwrap()
}

/// A token for `agent` and `task` valid on the host of `config` (its own
/// token key), issued by carol.
pub(crate) async fn token(
    fx: &Fixture,
    config: &std::path::Path,
    agent: &str,
    task: &str,
) -> String {
    let request = IssueRequest {
        agent: agent.into(),
        task: task.into(),
        tools: Vec::new(),
        ttl_secs: 600,
    };
    let signed = signer(fx, config, "carol")
        .await
        .sign_issue(request, "fleet test");
    ops(config).await.issue_token(&signed).await.unwrap().0
}

/// `name`'s signer for the fleet (its actions name the fleet's id).
pub(crate) async fn signer(
    fx: &Fixture,
    config: &std::path::Path,
    name: &str,
) -> warrant::operator::OperatorSigner {
    let file = warrant::keys::read_key_file(&fx.key(name)).unwrap();
    warrant::operator::OperatorSigner::new(name, &file)
        .unwrap()
        .for_audience(&ops(config).await.audience().await.unwrap())
}

/// Call `tool` on the host at `base` over HTTP/JSON; status and body.
pub(crate) async fn call(base: &str, token: &str, tool: &str, input: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}/v1/tools/{tool}/call"))
        .bearer_auth(token)
        .json(&json!({ "input": input }))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}
