//! The approval loop in a real browser: headless Chromium (Debian's
//! `chromium`, installed with apt when missing) driven by `playwright-core`
//! (npm; it never downloads a browser) against a real server, with a real
//! MCP client (the Python `mcp` package) as the agent. Log in with the
//! link; a held call appears in the inbox without a reload; approve it with
//! a reason and the agent's call completes; the timeline names the
//! approver; deny another; halt and see a call refused; log out and see
//! the old session act on nothing. Screenshots go to `target/console/`.

use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::{Value, json};
use warrant::CallRequest;
use warrant_tests::workspace_root;

use crate::api::support::{mcp_client, serve, soc};
use crate::console::link;

const TASK: &str = "INC-2026-0107";

/// The system Chromium; installed from Debian when missing.
pub(crate) fn chromium() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        warrant_tests::debian::binary(
            "chromium",
            &["/usr/lib/chromium/chromium", "/usr/bin/chromium"],
        )
    })
    .clone()
}

/// `target/node-console` with `playwright-core` from npm.
pub(crate) fn driver() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = workspace_root().join("target/node-console");
        std::fs::create_dir_all(&dir).unwrap();
        let lock = std::fs::File::create(dir.join(".lock")).unwrap();
        lock.lock().unwrap();
        if !dir
            .join("node_modules/playwright-core/package.json")
            .exists()
        {
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
                    "playwright-core@1",
                ])
                .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
                .current_dir(&dir)
                .status()
                .expect("npm runs");
            assert!(ok.success(), "npm install playwright-core failed");
        }
        for f in ["browser.mjs", "oidc-login.mjs", "tls.mjs", "overview.mjs"] {
            std::fs::copy(workspace_root().join("tests/console").join(f), dir.join(f)).unwrap();
        }
        dir
    })
    .clone()
}

/// The agent's call over MCP streamable HTTP, in the background.
fn agent_call(base: &str, token: &str, note: &str) -> tokio::task::JoinHandle<Value> {
    let args = ["http", "--url", &format!("{base}/mcp"), "--token", token]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let steps = json!([{"op": "call", "name": "case-note__append", "timeout": 120,
        "arguments": {"case_id": TASK, "note": note}}]);
    tokio::spawn(async move { mcp_client(args, &steps).await["results"][0].clone() })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_approval_loop_in_a_real_browser() {
    let fx = soc().await;
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap();
    std::fs::write(
        fx.config_path(),
        cfg.replace("wait = \"1s\"", "wait = \"90s\""),
    )
    .unwrap();
    let s = serve(&fx).await;
    let token = fx.token("triage-bot", TASK, &[]).await;
    let shots = workspace_root().join("target/console");
    std::fs::create_dir_all(&shots).unwrap();
    let config = json!({
        "chromium": chromium(), "link": link(&fx, &s.base, "carol"), "base": s.base,
        "task": TASK, "shots": shots,
    });
    let mut child = Command::new("node")
        .arg("browser.mjs")
        .arg(config.to_string())
        .current_dir(driver())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs");
    let mut stdin = child.stdin.take().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let mut next = async || -> Vec<String> {
        let line = tokio::time::timeout(std::time::Duration::from_secs(180), rx.recv())
            .await
            .expect("the browser answers")
            .expect("the browser script is running");
        assert!(line.starts_with("STEP") || line == "DONE", "{line}");
        line.split_whitespace().skip(1).map(str::to_owned).collect()
    };
    let mut go = || writeln!(stdin, "GO").unwrap();

    assert_eq!(next().await, ["ready"]);
    let first = agent_call(&s.base, &token, "Blocked 203.0.113.45 at the edge");
    go();
    let step = next().await;
    assert_eq!(step[0], "approved");
    let result = first.await.unwrap();
    assert_ne!(result["is_error"], true, "the approved call ran: {result}");
    assert!(
        result["text"]
            .as_str()
            .unwrap_or_default()
            .contains("entry"),
        "{result}"
    );
    go();

    assert_eq!(next().await, ["deny-next"]);
    let second = agent_call(&s.base, &token, "Wipe the jump host");
    go();
    assert_eq!(next().await[0], "denied");
    let result = second.await.unwrap();
    assert_eq!(result["is_error"], true, "{result}");
    assert!(
        result["text"]
            .as_str()
            .unwrap_or_default()
            .contains("denied"),
        "{result}"
    );
    go();

    assert_eq!(next().await, ["halted"]);
    let r = s
        .host
        .call(CallRequest {
            token: token.clone(),
            tool: "ioc-extract.extract".into(),
            input: json!({"text": "1.2.3.4"}).into(),
            channel: "lib",
            ..CallRequest::default()
        })
        .await;
    let e = r.outcome.expect_err("refused while halted");
    assert!(e.to_string().contains("halted"), "{e}");
    go();

    let step = next().await;
    assert_eq!(
        step,
        ["logged-out", "401", "401"],
        "after logout, with and without the old cookie"
    );
    go();
    assert!(next().await.is_empty(), "DONE");
    assert!(child.wait().unwrap().success());
    for f in ["console-inbox.png", "console-timeline.png"] {
        assert!(
            shots.join(f).metadata().unwrap().len() > 10_000,
            "{f} saved"
        );
    }
    s.running.shutdown().await.unwrap();
    let out = fx.cli(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
