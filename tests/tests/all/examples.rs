//! Every example tool, on good and bad input, through the whole host: a
//! signed manifest, a task token, policy, a fresh sandbox, the audit chain.

use serde_json::{Value, json};
use warrant::{CallError, CallFailure, CallRequest, Host};
use warrant_tests::{Fixture, PluginSpec};

fn sample_logs() -> String {
    warrant_tests::workspace_root()
        .join("example-plugins/log-search/sample-logs")
        .display()
        .to_string()
}

async fn fixture() -> Fixture {
    Fixture::builder()
        .plugin(PluginSpec::new("ioc-extract"))
        .plugin(PluginSpec::new("log-search").grants(&format!("files = [{{ host = {:?}, guest = \"/logs\", access = \"read\" }}]", sample_logs())))
        .plugin(PluginSpec::new("case-note").grants("files = [{ host = \"cases\", guest = \"/cases\", access = \"read-write\" }]\nclock = true"))
        .agent("analyst", &["ioc-extract.*", "log-search.*", "case-note.*"])
        .build()
        .await
}

async fn call(host: &Host, token: &str, tool: &str, input: Value) -> Result<Value, CallError> {
    let resp = host
        .call(CallRequest {
            token: token.into(),
            tool: tool.into(),
            input: input.into(),
            channel: "lib",
            ..CallRequest::default()
        })
        .await;
    assert!(resp.audit_seq.is_some(), "every call is recorded");
    resp.outcome
        .map(|o| serde_json::from_str(&o).expect("output is JSON"))
}

#[tokio::test]
async fn ioc_extract_finds_refanged_indicators() {
    let fx = fixture().await;
    let host = fx.host().await;
    let t = fx.token("analyst", "INC-2026-0001", &[]).await;
    let text = "Phish from billing@invoice-portal[.]top linked hxxps://cdn-update[.]top/payload.bin; C2 198.51.100.77; \
                hash 44d88612fea8a8f36de82e1278abb02f and e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855. Note: report.pdf is not a domain.";
    let out = call(&host, &t, "ioc-extract.extract", json!({ "text": text }))
        .await
        .unwrap();
    assert_eq!(out["ipv4"], json!(["198.51.100.77"]));
    assert_eq!(out["urls"], json!(["https://cdn-update.top/payload.bin"]));
    assert_eq!(out["emails"], json!(["billing@invoice-portal.top"]));
    assert_eq!(out["md5"], json!(["44d88612fea8a8f36de82e1278abb02f"]));
    assert_eq!(
        out["sha256"],
        json!(["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"])
    );
    assert!(
        out["domains"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d != "report.pdf")
    );
    assert_eq!(out["defanged"], json!(true));

    let err = call(&host, &t, "ioc-extract.extract", json!({ "text": 42 }))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CallError::Failed(CallFailure::InvalidInput(_))),
        "{err}"
    );
    let err = call(
        &host,
        &t,
        "ioc-extract.extract",
        json!({ "text": "x".repeat(1_100_000) }),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            CallError::Failed(CallFailure::InvalidInput(_)) | CallError::Refused(_)
        ),
        "{err}"
    );
}

#[tokio::test]
async fn log_search_searches_the_granted_logs() {
    let fx = fixture().await;
    let host = fx.host().await;
    let t = fx.token("analyst", "INC-2026-0002", &[]).await;
    let out = call(
        &host,
        &t,
        "log-search.search",
        json!({"pattern": "Failed password for invalid user", "file": "auth.log", "limit": 1000}),
    )
    .await
    .unwrap();
    let matches = out["matches"].as_array().unwrap();
    assert!(
        matches.len() >= 20,
        "the brute-force burst is in the sample: {}",
        matches.len()
    );
    assert!(
        matches
            .iter()
            .all(|m| m["text"].as_str().unwrap().contains("203.0.113.45")
                || m["text"].as_str().unwrap().contains("Failed password"))
    );
    let window = call(&host, &t, "log-search.search", json!({"pattern": "Accepted", "since": "2026-11-27T08:00:00Z", "until": "2026-11-27T09:00:00Z"})).await.unwrap();
    for m in window["matches"].as_array().unwrap() {
        let time = m["time"].as_str().unwrap();
        assert!(
            ("2026-11-27T08:00:00Z".."2026-11-27T09:00:00Z").contains(&time),
            "{time}"
        );
    }
    for bad in [
        json!({"pattern": "("}),
        json!({"pattern": "x", "file": "../../etc/passwd"}),
        json!({"pattern": "x", "file": "/etc/passwd"}),
        json!({"pattern": "x", "file": "missing.log"}),
    ] {
        let err = call(&host, &t, "log-search.search", bad.clone())
            .await
            .unwrap_err();
        assert!(
            matches!(err, CallError::Failed(CallFailure::InvalidInput(_))),
            "{bad}: {err}"
        );
    }
}

#[tokio::test]
async fn case_note_appends_to_the_granted_case_directory() {
    let fx = fixture().await;
    let host = fx.host().await;
    let t = fx.token("analyst", "INC-2026-0003", &[]).await;
    let out = call(&host, &t, "case-note.append", json!({"case_id": "INC-2026-0003", "note": "Isolated host bastion-01", "author": "analyst"})).await.unwrap();
    assert_eq!(out["entry"], 1);
    let out = call(
        &host,
        &t,
        "case-note.append",
        json!({"case_id": "INC-2026-0003", "note": "Reset admin credentials"}),
    )
    .await
    .unwrap();
    assert_eq!(out["entry"], 2);
    let text = std::fs::read_to_string(fx.path("cases/INC-2026-0003.md")).unwrap();
    assert!(text.contains("Isolated host bastion-01") && text.contains("Reset admin credentials"));
    assert!(
        !text.contains("1970-01-01"),
        "the clock grant gives a real time: {text}"
    );
    for bad in [
        json!({"case_id": "../escape", "note": "x"}),
        json!({"case_id": "INC-1", "note": ""}),
        json!({"case_id": "INC-1"}),
    ] {
        let err = call(&host, &t, "case-note.append", bad.clone())
            .await
            .unwrap_err();
        assert!(
            matches!(err, CallError::Failed(CallFailure::InvalidInput(_))),
            "{bad}: {err}"
        );
    }
    assert!(!fx.path("escape.md").exists());
}

#[test]
fn the_cli_inspects_each_example() {
    // `warrant inspect` on each built example names its tools and imports.
    for (package, tool) in [
        ("ioc-extract", "extract"),
        ("log-search", "search"),
        ("case-note", "append"),
        ("http-lookup", "lookup"),
    ] {
        let out = std::process::Command::new(warrant_tests::fixture_cli())
            .args(["inspect", warrant_tests::component_path(package)])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(text.contains(&format!("  {tool} [")), "{package}: {text}");
        assert!(text.contains("wasi:io/streams"), "{package}: {text}");
    }
    // On a manifest, it is the operator's plain-words review.
    let manifest = warrant_tests::workspace_root().join("manifests/log-search.toml");
    let out = std::process::Command::new(warrant_tests::fixture_cli())
        .args(["inspect", manifest.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "Plugin log-search 0.1.0 by example-secops",
        "signed by key: example-secops-2026",
        "may READ (list, stat, read) files under host directory",
        "seen inside as /logs",
        "cannot use the network at all",
        "sees a frozen clock",
        "runs in a fresh sandbox with at most 64MiB memory",
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
}

#[tokio::test]
async fn the_cli_calls_each_example_and_prints_json() {
    let fx = fixture().await;
    let token = fx.cli_as(
        "carol",
        &[
            "token",
            "issue",
            "--agent",
            "analyst",
            "--task",
            "INC-2026-0004",
        ],
    );
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    for (tool, input, key) in [
        (
            "ioc-extract.extract",
            r#"{"text":"ping 198.51.100.7"}"#,
            "ipv4",
        ),
        (
            "log-search.search",
            r#"{"pattern":"sudo","limit":2}"#,
            "matches",
        ),
        (
            "case-note.append",
            r#"{"case_id":"INC-2026-0004","note":"from the CLI"}"#,
            "entry",
        ),
    ] {
        let out = fx
            .cli_command(&["call", tool, "--input", input, "--prompt", "cli test"])
            .env("WARRANT_TOKEN", &token)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{tool}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{tool} printed no JSON: {e}"));
        assert!(!json[key].is_null(), "{tool}: {json}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("audit record #"));
    }
    // A refusal exits 1 and names the layer.
    let out = fx
        .cli_command(&["call", "ioc-extract.extract", "--input", "{}"])
        .env("WARRANT_TOKEN", "wt1.forged.token")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refused by token"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A reader that goes away (`warrant … | head`) ends the command quietly:
/// no panic, success.
#[tokio::test]
async fn the_cli_stops_quietly_when_its_reader_goes_away() {
    let fx = fixture().await;
    let _ = fx.token("analyst", "INC-2026-0005", &[]).await;
    let manifest = fx.path("ioc-extract.toml");
    for args in [
        &["approvals", "list", "--all"][..],
        &["audit", "show"][..],
        &["audit", "verify"][..],
        &["inspect", manifest.to_str().unwrap()][..],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = fx
            .cli_command(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}
