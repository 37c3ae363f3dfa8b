//! The audit chain under faults: a crash in the middle of an append, and a
//! volume that fills up.

use serde_json::json;
use warrant::Host;
use warrant_tests::{Fixture, PluginSpec, SmallVolume};

use crate::audit::{call, fixture, lines, log_path, verify};

#[tokio::test]
async fn a_crash_mid_append_loses_no_acknowledged_record() {
    let fx = fixture().await;
    let host = fx.host().await;
    let t = fx.token("triage-bot", "T-1", &[]).await;
    call(
        &host,
        &t,
        "adversary.echo",
        json!({"text": "acknowledged"}),
        "",
    )
    .await
    .unwrap();
    host.shutdown("crash drill").await;
    let before = lines(&fx);
    // A crash during the next write leaves a torn, unacknowledged line.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(log_path(&fx))
        .unwrap();
    std::io::Write::write_all(
        &mut f,
        br#"{"seq":999,"time":"2026-11-28T08:00:00.000Z","kind":"call.dec"#,
    )
    .unwrap();
    drop(f);
    let host = fx.host().await;
    call(
        &host,
        &t,
        "adversary.echo",
        json!({"text": "after the crash"}),
        "",
    )
    .await
    .unwrap();
    host.shutdown("done").await;
    let after = lines(&fx);
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "every acknowledged record is kept"
    );
    assert!(
        after[before.len()].contains("audit.recovered"),
        "{}",
        after[before.len()]
    );
    let (ok, out) = verify(&fx, &[]);
    assert!(ok, "{out}");
}

#[tokio::test]
async fn a_full_log_makes_calls_fail_closed() {
    let fx =
        Fixture::builder()
            .plugin(PluginSpec::new("adversary").grants(
                "files = [{ host = \"work\", guest = \"/work\", access = \"read-write\" }]",
            ))
            .agent("bot", &["adversary.*"])
            .host_lines("audit-dir = \"full-audit\"")
            .config("[audit]\nreserve = \"64KiB\"")
            .build()
            .await;
    // A real volume that fills up.
    let volume = SmallVolume::mount(&fx.path("full-audit"), 1 << 20);
    let t = fx.token("bot", "T-1", &[]).await; // written to full-audit before it is full
    volume.fill(0);
    let host = fx.host().await;
    // What is left in the log's last page may still take a record or two;
    // then the volume is full and no call runs.
    let mut refused = None;
    for i in 0..64 {
        let side = format!("/work/side-effect-{i}.txt");
        match call(
            &host,
            &t,
            "adversary.fs",
            json!({"op": "write", "path": side, "arg": "x"}),
            "",
        )
        .await
        {
            Ok(_) => continue,
            Err(err) => {
                refused = Some((i, err));
                break;
            }
        }
    }
    let (i, err) = refused.expect("calls are refused once the audit volume is full");
    assert!(
        err.to_string().contains("audit chain cannot be written")
            && err.to_string().contains("no call runs"),
        "{err}"
    );
    assert!(
        !fx.path(&format!("work/side-effect-{i}.txt")).exists(),
        "the tool did not run"
    );
    // The host keeps serving (refusing) without panicking.
    assert!(
        call(&host, &t, "adversary.echo", json!({"text": "x"}), "")
            .await
            .is_err()
    );

    // A log directory that cannot be created: the host does not start.
    std::fs::write(fx.path("not-a-dir"), "").unwrap();
    let cfg = std::fs::read_to_string(fx.config_path()).unwrap().replace(
        "audit-dir = \"full-audit\"",
        "audit-dir = \"not-a-dir/audit\"",
    );
    std::fs::write(fx.config_path(), cfg).unwrap();
    let err = Host::open(fx.config(), warrant::HostOptions::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("audit log"), "{err}");
}
