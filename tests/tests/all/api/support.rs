//! What the API tests share: a SOC-like fixture, an in-process server on a
//! free loopback port, and the Python `mcp` client from PyPI in a virtualenv
//! that the tests create themselves (`target/py-venv`).

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{Value, json};
use warrant::Host;
use warrant::api::{Running, ServeOptions, serve_http};
use warrant::audit::{AuditPaths, Filter, Record, read_records};
use warrant_tests::{Fixture, PluginSpec, workspace_root};

pub const SOC: &str = r#"
@id("baseline-permit")
permit (principal, action, resource);

@id("high-impact-needs-approval")
forbid (principal, action, resource) when { context.impact == "high" } unless { context.approved };

@id("case-note-only-for-incidents")
forbid (principal, action == Action::"case-note.append", resource) unless { context.task like "INC-*" };
"#;

/// Two agents with different grants; held calls wait one second.
pub async fn soc() -> Fixture {
    let fx =
        Fixture::builder()
            .plugin(PluginSpec::new("ioc-extract"))
            .plugin(PluginSpec::new("case-note").grants(
                "files = [{ host = \"cases\", guest = \"/cases\", access = \"read-write\" }]",
            ))
            .plugin(PluginSpec::new("adversary").limits("timeout = \"60s\""))
            .agent(
                "triage-bot",
                &["ioc-extract.*", "case-note.append", "adversary.*"],
            )
            .agent("intel-bot", &["ioc-extract.extract"])
            .policy(SOC)
            .build()
            .await;
    let cfg = std::fs::read_to_string(fx.config_path()).expect("config");
    std::fs::write(
        fx.config_path(),
        cfg.replace("wait = \"3s\"", "wait = \"1s\""),
    )
    .expect("config");
    fx
}

/// A server in this process on a free loopback port.
pub struct Server {
    pub host: Host,
    pub running: Running,
    pub base: String,
    pub admin: String,
}

pub async fn serve(fx: &Fixture) -> Server {
    let host = fx.host().await;
    let opts = ServeOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        handle_signals: false,
        ..ServeOptions::default()
    };
    let running = serve_http(host.clone(), opts).await.expect("server starts");
    let base = format!("http://{}", running.local_addr());
    let admin = std::fs::read_to_string(running.admin_token_path())
        .expect("admin token")
        .trim()
        .to_owned();
    Server {
        host,
        running,
        base,
        admin,
    }
}

/// Every record of the fixture's audit chain.
pub fn records(fx: &Fixture) -> Vec<Record> {
    let paths = AuditPaths::in_dir(&fx.config().audit_dir());
    read_records(&paths.log, &Filter::default()).expect("audit log")
}

/// The records of one call.
pub fn call_records(fx: &Fixture, call_id: &str) -> Vec<Record> {
    records(fx)
        .into_iter()
        .filter(|r| r.str("call_id") == Some(call_id))
        .collect()
}

/// The Python in `target/py-venv`, with `mcp` 2.x installed from PyPI.
/// Created on first use; a file lock keeps test processes from racing.
pub(crate) fn python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let target = workspace_root().join("target");
            std::fs::create_dir_all(&target).expect("target dir");
            let lock = std::fs::File::create(target.join("py-venv.lock")).expect("lock file");
            lock.lock().expect("lock the virtualenv");
            let venv = target.join("py-venv");
            let py = venv.join("bin").join("python");
            let ready = || {
                Command::new(&py)
                    .args(["-c", "import importlib.metadata as m, sys, mcp, httpx2; sys.exit(m.version('mcp').split('.')[0] != '2')"])
                    .status()
                    .is_ok_and(|s| s.success())
            };
            if !ready() {
                let venv_ok = Command::new("python3")
                    .args(["-m", "venv"])
                    .arg(&venv)
                    .status()
                    .expect("python3 runs");
                assert!(venv_ok.success(), "python3 -m venv {} failed", venv.display());
                let pip = Command::new(&py)
                    .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
                    .arg("mcp>=2,<3")
                    .status()
                    .expect("pip runs");
                assert!(pip.success(), "pip install 'mcp>=2,<3' failed");
                assert!(ready(), "the mcp package does not import after installing it");
            }
            py
        })
        .clone()
}

/// Run `tests/python/mcp_client.py` with `args` and the JSON `steps`; its
/// JSON report.
pub async fn mcp_client(args: Vec<String>, steps: &Value) -> Value {
    let steps = steps.to_string();
    tokio::task::spawn_blocking(move || {
        let script = workspace_root().join("tests/python/mcp_client.py");
        let out = Command::new(python())
            .arg(script)
            .args(&args)
            .args(["--steps", &steps])
            .output()
            .expect("the Python client runs");
        assert!(
            out.status.success(),
            "the MCP client failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "client output is not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    })
    .await
    .expect("client task")
}

/// Which Python client: `session` (a `ClientSession` with the initialize
/// handshake) or `client` (the high-level `Client`, which negotiates the
/// newest protocol, 2026-07-28, through `server/discover`).
pub type Kind = &'static str;

/// The Python client over stdio, launching `warrant serve --stdio` itself.
pub async fn over_stdio(fx: &Fixture, kind: Kind, token: &str, steps: &Value) -> Value {
    let cli = warrant_tests::fixture_cli().display().to_string();
    let args = [
        "stdio",
        "--client",
        kind,
        "--command",
        &cli,
        "--arg=serve",
        "--arg=--stdio",
        "--env",
        &format!("WARRANT_CONFIG={}", fx.config_path().display()),
        "--env",
        &format!("WARRANT_TOKEN={token}"),
        "--env",
        "RUST_LOG=warn",
    ];
    mcp_client(args.iter().map(|s| (*s).to_owned()).collect(), steps).await
}

/// The Python client over streamable HTTP with `token` as its bearer.
pub async fn over_http(server: &Server, kind: Kind, token: &str, steps: &Value) -> Value {
    let args = [
        "http",
        "--client",
        kind,
        "--url",
        &format!("{}/mcp", server.base),
        "--token",
        token,
    ];
    mcp_client(args.iter().map(|s| (*s).to_owned()).collect(), steps).await
}

/// The names a `{"op": "list"}` step returned.
pub fn names(result: &Value) -> Vec<String> {
    let mut v: Vec<String> = result["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("not a tool list: {result}"))
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect();
    v.sort();
    v
}

/// A 2026-07-28 JSON-RPC request to `/mcp` (the protocol version and
/// client capabilities added to any `_meta` in `params`); its answer.
pub async fn rpc(base: &str, token: &str, method: &str, params: Value) -> Value {
    let mut params = params;
    if !params["_meta"].is_object() {
        params["_meta"] = json!({});
    }
    params["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("2026-07-28");
    params["_meta"]["io.modelcontextprotocol/clientCapabilities"] = json!({});
    let mut r = reqwest::Client::new()
        .post(format!("{base}/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", method);
    if let Some(n) = params["name"].as_str() {
        r = r.header("mcp-name", n);
    }
    let text = r
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let body = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .find(|l| !l.trim().is_empty())
        .unwrap_or(&text);
    serde_json::from_str(body).unwrap_or(Value::Null)
}
