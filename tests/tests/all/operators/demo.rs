//! `warrant demo` on a copy of the examples: it creates its operators' keys
//! in the state directory, issues its tokens with signed requests, holds a
//! high-impact call and prints the approval command with the approver's
//! key; that command works, and the chain verifies with the signatures.

use std::path::Path;

use warrant_tests::fixture_cli;

fn run(config: &Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(fixture_cli())
        .args(args)
        .env("WARRANT_CONFIG", config)
        .env_remove("WARRANT_OPERATOR_KEY")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_signs_as_its_operators_and_prints_a_working_approval_command() {
    let (tmp, config) = crate::manifests::example_copy();
    std::fs::remove_dir_all(tmp.path().join(".warrant")).unwrap();
    let cfg = config.to_str().unwrap();
    let (ok, out) = run(
        &config,
        &["demo", "--once", "--config", cfg, "--intel", "127.0.0.1:0"],
    );
    assert!(ok, "{out}");
    assert!(
        tmp.path()
            .join(".warrant/operators/carol-2026.key")
            .exists()
            && tmp.path().join(".warrant/operators/dave-2026.pub").exists(),
        "{out}"
    );
    assert!(
        out.contains("issued by carol with a signed request"),
        "{out}"
    );
    // The printed command: dave approves (carol issued the token: four eyes).
    let line = out
        .lines()
        .find(|l| l.contains("approvals approve"))
        .unwrap_or_else(|| panic!("no approval command in {out}"));
    assert!(
        line.contains("--key") && line.contains("signs as dave"),
        "{line}"
    );
    let words: Vec<&str> = line.split_whitespace().collect();
    let id = words[words.iter().position(|w| *w == "approve").unwrap() + 1];
    let key = words[words.iter().position(|w| *w == "--key").unwrap() + 1];
    let (ok, approved) = run(
        &config,
        &[
            "approvals",
            "approve",
            id,
            "--key",
            key,
            "--reason",
            "containment confirmed",
        ],
    );
    assert!(ok && approved.contains("signed by dave"), "{approved}");
    // A second run reuses the keys.
    let (ok, again) = run(
        &config,
        &["demo", "--once", "--config", cfg, "--intel", "127.0.0.1:0"],
    );
    assert!(ok, "{again}");
    let (ok, verified) = run(&config, &["audit", "verify", "--no-mac"]);
    assert!(ok, "{verified}");
    assert!(
        verified.contains("approval.approved: signed by dave with key dave-2026"),
        "{verified}"
    );
}
