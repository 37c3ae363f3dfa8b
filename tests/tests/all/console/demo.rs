//! `warrant demo` prints the console's URL and a one-time login link for
//! the approver while its high-impact call is held; logged in with that
//! link, the held call is approved in the console and runs, and the chain
//! verifies the approval as dave's, signed in his console session; its
//! own calls count in its `/metrics`.

use std::io::BufRead as _;
use std::process::{Command, Stdio};

use warrant_tests::fixture_cli;

use crate::console::{field, grant_of, post_login};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demos_held_call_is_approved_in_the_console() {
    let (tmp, config) = crate::manifests::example_copy();
    std::fs::remove_dir_all(tmp.path().join(".warrant")).unwrap();
    let mut demo = Command::new(fixture_cli())
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--intel",
            "127.0.0.1:0",
            "--config",
        ])
        .arg(&config)
        .env_remove("WARRANT_OPERATOR_KEY")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let stdout = demo.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let mut seen = String::new();
    let mut next_until = async |what: &str| -> String {
        loop {
            let line = tokio::time::timeout(std::time::Duration::from_secs(120), rx.recv())
                .await
                .unwrap_or_else(|_| panic!("no {what:?} in {seen}"))
                .unwrap_or_else(|| panic!("the demo ended before {what:?}: {seen}"));
            seen.push_str(&line);
            seen.push('\n');
            if line.contains(what) {
                return line;
            }
        }
    };
    let console = next_until("/console — log in as dave").await;
    let link = next_until("/console/login#grant=").await.trim().to_owned();
    assert!(console.contains("http://127.0.0.1:"), "{console}");
    let base = link.split("/console/login").next().unwrap().to_owned();

    let res = post_login(&base, grant_of(&link)).await;
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let http = crate::console::client();
    let page = http
        .get(format!("{base}/console"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let id = page
        .split("data-approval=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the held call is in the inbox")
        .to_owned();
    let (csrf, binding) = (
        field(&page, "csrf").unwrap(),
        field(&page, "binding").unwrap(),
    );
    let r = http
        .post(format!("{base}/console/approvals/{id}/decide"))
        .header("cookie", &cookie)
        .header("origin", &base)
        .header("content-type", crate::console::FORM)
        .body(crate::console::form(&[
            ("csrf", &csrf),
            ("binding", &binding),
            ("decision", "approve"),
            ("reason", "containment confirmed"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    // The held note runs at once.
    next_until("case-note.append: ok").await;
    // The demo's own calls count in its metrics, like any channel's.
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let count = |name, labels: &[(&str, &str)]| {
        warrant_tests::exposition::sum(&metrics, name, labels).unwrap_or(0.0)
    };
    assert!(
        count("warrant_calls_total", &[("channel", "cli")]) >= 3.0,
        "{metrics}"
    );
    assert!(
        count("warrant_call_duration_seconds_count", &[]) >= 3.0,
        "{metrics}"
    );
    assert!(
        count(
            "warrant_calls_total",
            &[("tool", "case-note.append"), ("outcome", "ok")]
        ) >= 1.0,
        "{metrics}"
    );
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(demo.id().to_string())
        .status();
    let _ = demo.wait();
    let out = Command::new(fixture_cli())
        .args(["audit", "verify", "--no-mac", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("approval.approved: signed by dave with key session-")
            && text.contains("login link signed with key dave-2026"),
        "{text}"
    );
}
