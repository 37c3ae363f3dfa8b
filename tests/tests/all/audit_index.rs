//! The chain's index (`index.sqlite` beside the log) through the CLI:
//! `audit show` by task and by call reads what a scan of the chain gives;
//! `audit reindex --check` compares the index with one rebuilt from the
//! chain; a `warrant audit reindex` killed (-9) in the middle leaves an
//! index that continues where it stopped and matches the chain.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use warrant::audit::{Filter, Record, read_records};
use warrant_tests::{synthetic_call_id, synthetic_task, write_synthetic_chain};

const KEY: &[u8] = b"audit index test key";

fn cli(args: &[&str]) -> Command {
    let mut c = Command::new(warrant_tests::fixture_cli());
    if warrant_tests::embeds_cli() {
        c.env(warrant_tests::EMBEDDED_CLI_ENV, "1");
    }
    c.args(args)
        .env("WARRANT_CONFIG", "/nonexistent/warrant.toml")
        .env("RUST_LOG", "warn");
    c
}

fn run(args: &[&str]) -> Output {
    cli(args).output().expect("the CLI runs")
}

fn shown(log: &Path, by: &str, value: &str) -> Vec<Record> {
    let out = run(&[
        "audit",
        "show",
        "--log",
        &log.display().to_string(),
        by,
        value,
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn audit_show_by_task_and_call_reads_what_the_chain_holds_and_reindex_check_compares() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    write_synthetic_chain(&log, 3000, KEY).unwrap();
    let all = read_records(&log, &Filter::default()).unwrap();
    let task = synthetic_task(1234);
    let want: Vec<Record> = all
        .iter()
        .filter(|r| r.event().and_then(|e| e.task().map(str::to_owned)) == Some(task.clone()))
        .cloned()
        .collect();
    assert!(want.len() >= 49, "a task of 50 records: {}", want.len());
    assert_eq!(shown(&log, "--task", &task), want);
    assert!(
        dir.path().join("index.sqlite").is_file(),
        "the index was made"
    );
    let call = shown(&log, "--call", &synthetic_call_id(2222));
    assert_eq!(call.len(), 1);
    assert_eq!(call[0].seq, 2222);
    assert!(shown(&log, "--task", "task-none").is_empty());
    let logs = log.display().to_string();
    let check = run(&["audit", "reindex", "--check", "--log", &logs]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        String::from_utf8_lossy(&check.stdout).contains("matches the chain (3000 records)"),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    // An index that lost a row does not match; rebuilt, it does again.
    let db = rusqlite::Connection::open(dir.path().join("index.sqlite")).unwrap();
    assert_eq!(
        db.execute("DELETE FROM records WHERE seq = 1500", [])
            .unwrap(),
        1
    );
    drop(db);
    let check = run(&["audit", "reindex", "--check", "--log", &logs]);
    assert_eq!(check.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&check.stdout).contains("does not match"));
    let rebuilt = run(&["audit", "reindex", "--log", &logs]);
    assert!(
        rebuilt.status.success(),
        "{}",
        String::from_utf8_lossy(&rebuilt.stderr)
    );
    assert!(String::from_utf8_lossy(&rebuilt.stdout).contains("indexed 3000 records"));
    assert!(
        run(&["audit", "reindex", "--check", "--log", &logs])
            .status
            .success()
    );
}

#[test]
fn a_reindex_killed_midway_leaves_an_index_that_continues_and_matches_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let logs = log.display().to_string();
    write_synthetic_chain(&log, 60_000, KEY).unwrap();
    let mut child = cli(&["audit", "reindex", "--log", &logs]).spawn().unwrap();
    // Until the first batches are committed, then kill -9.
    let db = dir.path().join("index.sqlite");
    let mut indexed = 0;
    for _ in 0..600 {
        std::thread::sleep(Duration::from_millis(20));
        indexed =
            rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .and_then(|c| {
                    c.query_row("SELECT count(*) FROM records", [], |r| r.get::<_, i64>(0))
                })
                .unwrap_or(0);
        if indexed > 0 {
            break;
        }
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the reindex was still running when killed"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        indexed > 0 && indexed < 60_000,
        "{indexed} indexed when killed"
    );
    // A lookup right away: complete (the rest read from the chain or
    // indexed now), and the index then matches one built afresh.
    let task = synthetic_task(59_000);
    let shown = shown(&log, "--task", &task);
    assert!(shown.len() >= 49 && shown.iter().all(|r| r.seq / 50 == 59_000 / 50));
    let check = run(&["audit", "reindex", "--check", "--log", &logs]);
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}
