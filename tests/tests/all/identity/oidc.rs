//! Against a real OpenID provider (`oidc-provider` from npm, started here
//! on 127.0.0.1): an agent workload holding only its platform credential
//! discovers warrant's authorization from the 401 challenge, exchanges the
//! credential for a task token and calls a tool over MCP streamable HTTP
//! with the Python `mcp` client; the same agent's access token for
//! warrant's resource is accepted as it is. The chain names the credential.

use std::io::BufRead as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use serde_json::{Value, json};
use warrant_tests::{Fixture, PluginSpec, workspace_root};

use crate::api::support::{python, records, serve};

const RESOURCE: &str = "https://warrant.test/mcp";
const WORKLOADS: &str = "urn:warrant:workloads";

/// `target/node-oidc` with `oidc-provider` installed from npm (once; a
/// file lock keeps test processes from racing).
pub(crate) fn provider_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = workspace_root().join("target/node-oidc");
        std::fs::create_dir_all(&dir).unwrap();
        let lock = std::fs::File::create(dir.join(".lock")).unwrap();
        lock.lock().unwrap();
        if !dir.join("node_modules/oidc-provider/package.json").exists() {
            std::fs::write(
                dir.join("package.json"),
                r#"{"private":true,"type":"module"}"#,
            )
            .unwrap();
            let ok = Command::new("npm")
                .args([
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--silent",
                    "oidc-provider@9",
                ])
                .current_dir(&dir)
                .status()
                .expect("npm runs");
            assert!(ok.success(), "npm install oidc-provider@9 failed");
        }
        for f in [
            "provider.mjs",
            "console-provider.mjs",
            "credential-provider.mjs",
        ] {
            std::fs::copy(workspace_root().join("tests/oidc").join(f), dir.join(f)).unwrap();
        }
        dir
    })
    .clone()
}

/// The provider, stopped when dropped.
pub(crate) struct Idp {
    child: Child,
    pub(crate) issuer: String,
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_idp(client: &str, secret: &str, task: &str) -> Idp {
    start_script("provider.mjs", &[client, secret, task])
}

/// Start one of the provider scripts with `args`.
pub(crate) fn start_script(script: &str, args: &[&str]) -> Idp {
    let mut child = Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(provider_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("provider said {line:?}: {e}"));
    Idp {
        child,
        issuer: v["issuer"].as_str().unwrap().to_owned(),
    }
}

async fn agent(idp: &Idp, mcp: &str, mode: &str, audience: &str, task: &str) -> Value {
    let args = [
        "--idp",
        &idp.issuer,
        "--client-id",
        "triage-bot",
        "--client-secret",
        "s3cret-of-the-platform",
        "--mcp",
        mcp,
        "--mode",
        mode,
        "--audience",
        audience,
        "--task",
        task,
        "--tool",
        "ioc-extract__extract",
        "--arguments",
        r#"{"text":"C2 at 198.51.100.77"}"#,
    ]
    .map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let out = Command::new(python())
            .arg(workspace_root().join("tests/python/workload_agent.py"))
            .args(&args)
            .output()
            .expect("the agent runs");
        assert!(
            out.status.success(),
            "the agent failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workload_of_a_real_openid_provider_calls_its_tools_over_mcp() {
    let idp = tokio::task::spawn_blocking(|| {
        start_idp("triage-bot", "s3cret-of-the-platform", "INC-2026-0100")
    })
    .await
    .unwrap();
    let discovery: Value = reqwest::get(format!("{}/.well-known/openid-configuration", idp.issuer))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwks = discovery["jwks_uri"].as_str().unwrap();
    let fx = Fixture::builder()
        .plugin(PluginSpec::new("ioc-extract"))
        .agent_toml("[[agents]]\nid = \"triage-bot\"\nowner = \"alice@soc.example\"\nmodel = \"m\"\nmodel-owner = \"mo\"\ntools = [\"ioc-extract.*\"]\nworkload = [{ issuer = \"platform\", client-id = \"triage-bot\" }]\n")
        .config(&format!(
            "[[issuers]]\nid = \"platform\"\nissuer = {:?}\naudiences = [{WORKLOADS:?}]\nalgorithms = [\"RS256\"]\njwks-url = {jwks:?}\naccess-tokens = true\n\n[api]\nresource = {RESOURCE:?}\n",
            idp.issuer
        ))
        .build()
        .await;
    let srv = serve(&fx).await;
    let mcp = format!("{}/mcp", srv.base);

    // Exchange: the platform credential for a task token, found by discovery.
    let report = agent(&idp, &mcp, "exchange", WORKLOADS, "INC-2026-0042").await;
    assert_eq!(report["discovery"]["status"], 401, "{report}");
    assert_eq!(report["discovery"]["resource"], RESOURCE);
    assert_eq!(
        report["discovery"]["token_endpoint"],
        format!("{}/oauth/token", srv.base),
        "{report}"
    );
    assert_eq!(report["tools"], json!(["ioc-extract__extract"]));
    assert_eq!(report["call"]["is_error"], false, "{report}");
    assert!(
        report["call"]["text"]
            .as_str()
            .unwrap()
            .contains("198.51.100.77")
    );

    // An access token of the platform's authorization server for warrant's
    // resource, presented as it is.
    let report = agent(&idp, &mcp, "access-token", RESOURCE, "-").await;
    assert_eq!(report["call"]["is_error"], false, "{report}");

    srv.running.shutdown().await.unwrap();
    srv.host.shutdown("done").await;
    let recs = records(&fx);
    let exchanged = recs
        .iter()
        .find(|r| r.kind == "token.exchanged")
        .expect("an exchange record");
    assert_eq!(exchanged.data["credential"]["issuer"], "platform");
    assert_eq!(exchanged.data["credential"]["subject"], "triage-bot");
    assert_eq!(exchanged.data["iss"], idp.issuer);
    assert_eq!(exchanged.data["task"], "INC-2026-0042");
    let calls: Vec<&Value> = recs
        .iter()
        .filter(|r| r.kind == "call")
        .map(|r| &r.data)
        .collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["credential"], exchanged.data["credential"]);
    assert_eq!(calls[1]["credential"]["kind"], "access-token");
    assert_eq!(
        calls[1]["task"], "INC-2026-0100",
        "the task claim of the platform's token"
    );
    assert!(fx.cli(&["audit", "verify"]).status.success());
}
